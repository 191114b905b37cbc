// Forgetting conntrack entries (conntrack.h): one dump of the whole table over
// NETLINK_NETFILTER, matched here as it streams in, then one delete request per
// match.
//
// Cost: the dump reads every entry of the namespace's table, so its time grows
// with the table, not with what the container held. Measured in a throwaway
// netns on 2 cores: 10,000 entries take 17-19 ms (25-60 ms while the machine
// was busy), 100,000 take 150-160 ms; each entry deleted adds one round trip,
// about 10 µs. That is acceptable because only the release path calls this,
// once per teardown, never the start path. A kernel-side filter would not help:
// CTA_FILTER ANDs its conditions, so "this address in either direction" would
// take several dumps, and libnl 3.7 does not build it. Entries are parsed one at
// a time and dropped unless they match, so memory grows with the matches, not
// with the table (as nfnl_ct_alloc_cache's copy of the whole table would).
#include "conntrack.h"

#include <hookwire/error.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netfilter/ct.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/socket.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "netlink/ptr.h"
#include "unique_fd.h"

namespace hookwire {

namespace {

using SocketPtr = std::unique_ptr<nl_sock, netlink::Deleter<nl_socket_free>>;
using CallbackPtr = std::unique_ptr<nl_cb, netlink::Deleter<nl_cb_put>>;
using CtPtr = std::unique_ptr<nfnl_ct, netlink::Deleter<nfnl_ct_put>>;

/// The errno behind a libnl error code: the inverse of libnl's nl_syserr2nlerr,
/// which folded the kernel's errno into an NLE_ code (several into one: ENOBUFS
/// into NLE_NOMEM, ESRCH into NLE_OBJ_NOTFOUND). Codes libnl makes up itself
/// (parse and protocol failures) become EPROTO; the rest EIO.
int errno_of(int nl_error) {
  switch (nl_error < 0 ? -nl_error : nl_error) {
    case NLE_BAD_SOCK:
      return EBADF;
    case NLE_EXIST:
      return EEXIST;
    case NLE_NOADDR:
      return EADDRNOTAVAIL;
    case NLE_OBJ_NOTFOUND:
      return ENOENT;
    case NLE_INTR:
    case NLE_DUMP_INTR:
      return EINTR;
    case NLE_AGAIN:
      return EAGAIN;
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_INVAL:
      return EINVAL;
    case NLE_RANGE:
      return ERANGE;
    case NLE_NOACCESS:
      return EACCES;
    case NLE_PERM:
      return EPERM;
    case NLE_AF_NOSUPPORT:
      return EAFNOSUPPORT;
    case NLE_PROTO_MISMATCH:
      return EPROTONOSUPPORT;
    case NLE_OPNOTSUPP:
      return EOPNOTSUPP;
    case NLE_BUSY:
      return EBUSY;
    case NLE_NODEV:
      return ENODEV;
    case NLE_MSGSIZE:
    case NLE_MSG_OVERFLOW:
    case NLE_MSG_TRUNC:
      return EMSGSIZE;
    case NLE_SEQ_MISMATCH:
    case NLE_MSG_TOOSHORT:
    case NLE_MSGTYPE_NOSUPPORT:
    case NLE_PARSE_ERR:
    case NLE_NOATTR:
    case NLE_MISSING_ATTR:
    case NLE_ATTRSIZE:
      return EPROTO;
    default:
      return EIO;
  }
}

/// Throws Error::system for a libnl failure; libnl's own words go in the detail
/// when the errno does not say it (NLE_FAILURE, "Unspecific failure", say).
[[noreturn]] void throw_nl(int nl_error, const std::string& context) {
  int err = errno_of(nl_error);
  throw Error::system(err, "conntrack: " + context, err == EIO || err == EPROTO ? nl_geterror(nl_error) : "");
}

/// A NETLINK_NETFILTER socket in the calling thread's netns. Opened and bound
/// here rather than by nfnl_connect, which folds socket(2)'s errno (EMFILE, say)
/// into NLE_FAILURE; libnl then owns the fd.
SocketPtr open_socket() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd) throw_errno("conntrack: open a NETLINK_NETFILTER socket");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;  // nl_pid 0: the kernel picks the port
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0)
    throw_errno("conntrack: bind a NETLINK_NETFILTER socket");
  SocketPtr socket(nl_socket_alloc());
  if (!socket) throw Error::system(ENOMEM, "conntrack: allocate a netlink socket");
  if (int err = nl_socket_set_fd(socket.get(), NETLINK_NETFILTER, fd.get()); err < 0)
    throw_nl(err, "adopt a NETLINK_NETFILTER socket");
  fd.release();
  return socket;
}

/// What is being released, sorted for binary search.
class Released {
 public:
  Released(std::vector<IpAddress> addresses, std::vector<HostPort> ports, PortFlows port_flows)
      : addresses_(std::move(addresses)), ports_(std::move(ports)), port_flows_(port_flows) {
    std::sort(addresses_.begin(), addresses_.end());
    std::sort(ports_.begin(), ports_.end());
  }

  /// Whether `ct` refers to a released address in either direction, or is a
  /// flow to one of the host ports, NATed or not as `port_flows` asks.
  bool matches(const nfnl_ct* ct) const noexcept {
    for (int reply : {0, 1})
      if (holds(nfnl_ct_get_src(ct, reply)) || holds(nfnl_ct_get_dst(ct, reply))) return true;
    return nat_from_port(ct);
  }

 private:
  bool holds(const nl_addr* addr) const noexcept {
    if (addr == nullptr) return false;
    Family family;
    switch (nl_addr_get_family(addr)) {
      case AF_INET:
        family = Family::v4;
        break;
      case AF_INET6:
        family = Family::v6;
        break;
      default:
        return false;
    }
    if (nl_addr_get_len(addr) != (family == Family::v4 ? 4u : 16u)) return false;
    IpAddress ip = IpAddress::from_bytes(family, static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(addr)));
    return std::binary_search(addresses_.begin(), addresses_.end(), ip);
  }

  bool nat_from_port(const nfnl_ct* ct) const noexcept {
    if (ports_.empty() || !nfnl_ct_test_proto(ct) || !nfnl_ct_test_dst_port(ct, 0) || !nfnl_ct_test_status(ct))
      return false;
    bool nated = nfnl_ct_get_status(ct) & IPS_DST_NAT;
    if (nated != (port_flows_ == PortFlows::nated)) return false;
    Protocol protocol;
    switch (nfnl_ct_get_proto(ct)) {
      case static_cast<std::uint8_t>(Protocol::tcp):
        protocol = Protocol::tcp;
        break;
      case static_cast<std::uint8_t>(Protocol::udp):
        protocol = Protocol::udp;
        break;
      case static_cast<std::uint8_t>(Protocol::sctp):
        protocol = Protocol::sctp;
        break;
      default:
        return false;
    }
    return std::binary_search(ports_.begin(), ports_.end(), HostPort{protocol, nfnl_ct_get_dst_port(ct, 0)});
  }

  std::vector<IpAddress> addresses_;
  std::vector<HostPort> ports_;
  PortFlows port_flows_;
};

/// An entry to delete, named as the kernel named it in the dump: its family and
/// the raw CTA_TUPLE_ORIG, CTA_ZONE and CTA_ID attributes. Sent back verbatim
/// rather than rebuilt by nfnl_ct_del from libnl's parse, which drops what libnl
/// does not model, such as a direction's zone (CTA_TUPLE_ZONE): the kernel then
/// looks in another zone, answers ENOENT, and the entry is silently kept.
struct Match {
  std::uint8_t family;
  std::vector<std::uint8_t> attributes;
};

/// The state of one dump, shared with libnl's callback (which must not throw).
struct Dump {
  const Released& released;
  std::vector<Match> matches;
  int error = 0;  // the first libnl error met while parsing; the rest of the dump is drained
};

void append(std::vector<std::uint8_t>& bytes, const nlattr* attr) {
  if (attr == nullptr) return;
  const auto* begin = reinterpret_cast<const std::uint8_t*>(attr);
  bytes.insert(bytes.end(), begin, begin + attr->nla_len);
  bytes.resize(NLA_ALIGN(bytes.size()), 0);
}

int on_entry(nl_msg* msg, void* arg) {
  auto& dump = *static_cast<Dump*>(arg);
  if (dump.error != 0) return NL_SKIP;
  nlmsghdr* header = nlmsg_hdr(msg);
  nfnl_ct* parsed = nullptr;
  if (int err = nfnlmsg_ct_parse(header, &parsed); err < 0) {
    dump.error = err;
    return NL_SKIP;
  }
  CtPtr ct(parsed);
  if (!dump.released.matches(ct.get())) return NL_OK;

  nlattr* attrs[CTA_MAX + 1];
  if (int err = nlmsg_parse(header, NFNL_HDRLEN, attrs, CTA_MAX, nullptr); err < 0) {
    dump.error = err;
    return NL_SKIP;
  }
  if (attrs[CTA_TUPLE_ORIG] == nullptr) {
    dump.error = -NLE_MISSING_ATTR;
    return NL_SKIP;
  }
  try {
    Match match{nfnlmsg_family(header), {}};
    for (int type : {CTA_TUPLE_ORIG, CTA_ZONE, CTA_ID}) append(match.attributes, attrs[type]);
    dump.matches.push_back(std::move(match));
  } catch (const std::bad_alloc&) {
    dump.error = -NLE_NOMEM;
  }
  return NL_OK;
}

/// Deletes one entry; returns 0 or a negative libnl error (-NLE_OBJ_NOTFOUND: gone).
int delete_entry(nl_sock* socket, Match& match) {
  netlink::MsgPtr msg(nfnlmsg_alloc_simple(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_DELETE, 0, match.family, 0));
  if (!msg) return -NLE_NOMEM;
  if (int err = nlmsg_append(msg.get(), match.attributes.data(), match.attributes.size(), NLMSG_ALIGNTO); err < 0)
    return err;
  if (int err = nl_send_auto(socket, msg.get()); err < 0) return err;
  return nl_wait_for_ack(socket);
}

// Whether the current netns's conntrack table holds any entry. A dump walks every
// hash bucket, entries or not (2-3 ms on a 6.x kernel with its default 262,144
// buckets), so an empty table is worth a look first: one small read. No
// nf_conntrack_count means conntrack is not loaded here: nothing to forget.
bool table_has_entries() {
  UniqueFd fd(open("/proc/sys/net/netfilter/nf_conntrack_count", O_RDONLY | O_CLOEXEC));
  if (!fd) return errno != ENOENT;
  char text[32];
  ssize_t n = read(fd.get(), text, sizeof text);
  return n <= 0 || text[0] != '0';
}

}  // namespace

std::size_t forget_conntrack(const std::vector<IpAddress>& addresses, const std::vector<HostPort>& ports,
                             PortFlows port_flows) {
  if (addresses.empty() && ports.empty()) return 0;
  if (!table_has_entries()) return 0;
  Released released(addresses, ports, port_flows);

  SocketPtr socket = open_socket();

  Dump dump{released, {}};
  {
    CallbackPtr callback(nl_cb_alloc(NL_CB_DEFAULT));
    if (!callback) throw Error::system(ENOMEM, "conntrack: allocate a netlink callback");
    nl_cb_set(callback.get(), NL_CB_VALID, NL_CB_CUSTOM, on_entry, &dump);
    if (int err = nfnl_ct_dump_request(socket.get()); err < 0) throw_nl(err, "request the conntrack table");
    if (int err = nl_recvmsgs(socket.get(), callback.get()); err < 0) throw_nl(err, "dump the conntrack table");
    if (dump.error != 0) throw_nl(dump.error, "parse a conntrack entry");
  }

  // With its id, a delete cannot hit a newer flow that has since taken the same
  // tuple: the kernel answers ENOENT, as it does for an entry that expired or
  // that someone else deleted. Every match is tried before the first other
  // failure is thrown, so that one refusal does not keep the rest alive.
  std::size_t deleted = 0;
  int first_error = 0;
  for (Match& match : dump.matches) {
    int err = delete_entry(socket.get(), match);
    if (err >= 0)
      ++deleted;
    else if (err != -NLE_OBJ_NOTFOUND && first_error == 0)
      first_error = err;
  }
  if (first_error != 0) throw_nl(first_error, "delete a conntrack entry");
  return deleted;
}

}  // namespace hookwire
