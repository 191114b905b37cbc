#include "netlink/rtnl_socket.h"

#include <hookwire/error.h>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>

#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>

namespace hookwire::netlink {

namespace {

// Large enough for any single route-netlink message; dumps are split by the kernel.
constexpr std::size_t kBufferSize = 64 * 1024;

// The status carried by an NLMSG_ERROR message: 0 for an ACK, or errno plus extack.
Status parse_error(const nlmsghdr& nlh) {
  if (nlh.nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return {EBADMSG, "truncated netlink error"};
  const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(&nlh));
  Status status{-err->error, {}};
  if (status.error == 0 || !(nlh.nlmsg_flags & NLM_F_ACK_TLVS)) return status;
  // The TLVs follow the error and, unless the kernel capped it, the echoed request.
  std::size_t offset = sizeof(nlmsgerr);
  if (!(nlh.nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  offset = NLMSG_ALIGN(offset);
  std::size_t payload = nlh.nlmsg_len - NLMSG_HDRLEN;
  if (offset >= payload) return status;
  auto* attr = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(const_cast<nlmsgerr*>(err)) + offset);
  int remaining = static_cast<int>(payload - offset);
  for (; nla_ok(attr, remaining); attr = nla_next(attr, &remaining)) {
    if (nla_type(attr) != NLMSGERR_ATTR_MSG) continue;
    const auto* text = static_cast<const char*>(nla_data(attr));
    status.detail.assign(text, strnlen(text, static_cast<std::size_t>(nla_len(attr))));
  }
  return status;
}

// The error a dump's NLMSG_DONE carries, if any.
Status parse_done(const nlmsghdr& nlh) {
  if (nlh.nlmsg_len < NLMSG_LENGTH(sizeof(int))) return {};
  int value;
  std::memcpy(&value, NLMSG_DATA(&nlh), sizeof value);
  return {value < 0 ? -value : 0, {}};
}

}  // namespace

MsgPtr dump_request(int type, unsigned char family) {
  MsgPtr msg(nlmsg_alloc_simple(type, NLM_F_DUMP));
  if (!msg) throw Error::system(ENOMEM, "allocate dump request");
  // ifinfomsg for links, ifaddrmsg and rtmsg (shorter) for the rest: the kernel
  // reads only the header it needs, and the family comes first in each.
  std::size_t size = type == RTM_GETLINK ? sizeof(ifinfomsg) : type == RTM_GETADDR ? sizeof(ifaddrmsg) : sizeof(rtmsg);
  unsigned char header[sizeof(ifinfomsg)] = {};
  header[0] = family;
  if (nlmsg_append(msg.get(), header, size, NLMSG_ALIGNTO) < 0) throw Error::system(ENOMEM, "build dump request");
  return msg;
}

Socket::Socket() : sock_(nl_socket_alloc()), buffer_(new char[kBufferSize]) {
  if (!sock_) throw Error::system(ENOMEM, "allocate netlink socket");
  errno = 0;
  if (int err = nl_connect(sock_.get(), NETLINK_ROUTE); err < 0)
    throw Error::system(errno ? errno : EIO, "open netlink socket", nl_geterror(err));
  // Best effort: without these (kernels before 4.12) errors simply carry no detail.
  int one = 1;
  setsockopt(fd(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
}

int Socket::fd() const { return nl_socket_get_fd(sock_.get()); }

Status Socket::try_request(nl_msg* msg, const Handler& on_reply) {
  nl_msg* one[] = {msg};
  return exchange(one, false, on_reply).front();
}

void Socket::request(nl_msg* msg, const std::string& what, const Handler& on_reply) {
  Status status = try_request(msg, on_reply);
  if (!status.ok()) throw Error::system(status.error, what, status.detail);
}

std::vector<Status> Socket::try_request_all(std::span<const Request> requests) {
  std::vector<nl_msg*> msgs;
  msgs.reserve(requests.size());
  for (const auto& r : requests) msgs.push_back(r.msg.get());
  return exchange(msgs, false, {});
}

void Socket::request_all(std::span<const Request> requests) {
  auto statuses = try_request_all(requests);
  for (std::size_t i = 0; i < statuses.size(); ++i)
    if (!statuses[i].ok()) throw Error::system(statuses[i].error, requests[i].what, statuses[i].detail);
}

Status Socket::dump(nl_msg* msg, const Handler& on_part) {
  nl_msg* one[] = {msg};
  return exchange(one, true, on_part).front();
}

void Socket::send_all(std::span<nl_msg* const> msgs) {
  // Each message must start on a 4-byte boundary inside the datagram.
  static const char padding[NLMSG_ALIGNTO] = {};
  std::vector<iovec> iov;
  iov.reserve(msgs.size() * 2);
  for (nl_msg* msg : msgs) {
    nlmsghdr* nlh = nlmsg_hdr(msg);
    iov.push_back({nlh, nlh->nlmsg_len});
    if (std::size_t pad = NLMSG_ALIGN(nlh->nlmsg_len) - nlh->nlmsg_len; pad)
      iov.push_back({const_cast<char*>(padding), pad});
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr header{};
  header.msg_name = &kernel;
  header.msg_namelen = sizeof kernel;
  header.msg_iov = iov.data();
  header.msg_iovlen = iov.size();
  while (sendmsg(fd(), &header, 0) < 0) {
    if (errno != EINTR) throw_errno("send netlink request");
  }
}

std::vector<Status> Socket::exchange(std::span<nl_msg* const> msgs, bool dump, const Handler& on_reply) {
  const std::uint32_t first = next_seq_;
  for (nl_msg* msg : msgs) {
    nlmsghdr* nlh = nlmsg_hdr(msg);
    nlh->nlmsg_seq = next_seq_++;
    nlh->nlmsg_pid = 0;
    nlh->nlmsg_flags |= NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
  }
  send_all(msgs);

  std::vector<Status> statuses(msgs.size());
  std::vector<bool> done(msgs.size(), false);
  std::size_t remaining = msgs.size();
  while (remaining > 0) {
    sockaddr_nl from{};
    iovec iov{buffer_.get(), kBufferSize};
    msghdr header{};
    header.msg_name = &from;
    header.msg_namelen = sizeof from;
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    ssize_t len = recvmsg(fd(), &header, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      throw_errno("receive netlink reply");
    }
    if (header.msg_flags & MSG_TRUNC) throw Error::system(EMSGSIZE, "receive netlink reply");
    if (from.nl_pid != 0) continue;  // only the kernel answers requests

    int left = static_cast<int>(len);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buffer_.get()); NLMSG_OK(nlh, left);
         nlh = NLMSG_NEXT(nlh, left)) {
      std::uint32_t index = nlh->nlmsg_seq - first;  // unsigned: stale replies wrap to large values
      if (index >= msgs.size() || done[index]) continue;
      switch (nlh->nlmsg_type) {
        case NLMSG_NOOP:
        case NLMSG_OVERRUN:
          break;
        case NLMSG_ERROR:
        case NLMSG_DONE: {
          if (nlh->nlmsg_type == NLMSG_DONE && !dump) break;
          bool interrupted = statuses[index].interrupted || (nlh->nlmsg_flags & NLM_F_DUMP_INTR);
          statuses[index] = nlh->nlmsg_type == NLMSG_ERROR ? parse_error(*nlh) : parse_done(*nlh);
          statuses[index].interrupted = interrupted;
          done[index] = true;
          --remaining;
          break;
        }
        default:
          if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) statuses[index].interrupted = true;
          if (on_reply) on_reply(*nlh);
          break;
      }
    }
  }
  return statuses;
}

}  // namespace hookwire::netlink
