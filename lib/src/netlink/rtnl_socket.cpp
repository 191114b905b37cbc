// The socket core: plain libc, no libnl (see rtnl_socket.h).
#include "netlink/rtnl_socket.h"

#include <hookwire/error.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <linux/if_addr.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace hookwire::netlink {

namespace {

// Large enough for any single route-netlink message; dumps are split by the kernel.
constexpr std::size_t kBufferSize = 64 * 1024;

// The error a dump's NLMSG_DONE carries, if any.
Status parse_done(const nlmsghdr& nlh) {
  if (nlh.nlmsg_len < NLMSG_LENGTH(sizeof(int))) return {};
  int value;
  std::memcpy(&value, NLMSG_DATA(&nlh), sizeof value);
  return {value < 0 ? -value : 0, {}};
}

// NLMSG_OK and NLMSG_NEXT on an unsigned count: the macros compare the int they
// are given with the unsigned nlmsg_len (clang's -Wsign-compare rejects that), and
// an unsigned count must stop at zero rather than wrap.
bool message_fits(const nlmsghdr* nlh, std::size_t left) {
  return left >= sizeof(nlmsghdr) && nlh->nlmsg_len >= sizeof(nlmsghdr) && nlh->nlmsg_len <= left;
}

nlmsghdr* next_message(nlmsghdr* nlh, std::size_t& left) {
  std::size_t step = std::min<std::size_t>(NLMSG_ALIGN(nlh->nlmsg_len), left);
  left -= step;
  return reinterpret_cast<nlmsghdr*>(reinterpret_cast<char*>(nlh) + step);
}

}  // namespace

Status parse_error(const nlmsghdr& nlh) {
  if (nlh.nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return {EBADMSG, "truncated netlink error"};
  const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(&nlh));
  Status status{-err->error, {}};
  if (status.error == 0 || !(nlh.nlmsg_flags & NLM_F_ACK_TLVS)) return status;
  // The TLVs follow the error and, unless the kernel capped it, the echoed request.
  std::size_t offset = sizeof(nlmsgerr);
  if (!(nlh.nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len >= NLMSG_HDRLEN)
    offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  offset = NLMSG_ALIGN(offset);
  std::size_t payload = nlh.nlmsg_len - NLMSG_HDRLEN;
  const char* base = static_cast<const char*>(NLMSG_DATA(&nlh));
  while (offset + NLA_HDRLEN <= payload) {
    const auto* attr = reinterpret_cast<const nlattr*>(base + offset);
    if (attr->nla_len < NLA_HDRLEN || offset + attr->nla_len > payload) break;
    if ((attr->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = base + offset + NLA_HDRLEN;
      status.detail.assign(text, strnlen(text, attr->nla_len - NLA_HDRLEN));
    }
    offset += NLA_ALIGN(attr->nla_len);
  }
  return status;
}

DumpRequest dump_request(int type, unsigned char family) {
  DumpRequest request{};
  std::size_t body = type == RTM_GETLINK ? sizeof(ifinfomsg) : type == RTM_GETADDR ? sizeof(ifaddrmsg) : sizeof(rtmsg);
  request.header.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(body));
  request.header.nlmsg_type = static_cast<std::uint16_t>(type);
  request.header.nlmsg_flags = NLM_F_DUMP;
  request.body.ifi_family = family;
  return request;
}

Socket::Socket() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)), buffer_(new char[kBufferSize]) {
  if (fd_.get() < 0) throw_errno("open netlink socket");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;  // port 0: the kernel picks a free one
  if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) throw_errno("bind netlink socket");
  // Best effort: without these (kernels before 4.12) errors simply carry no detail.
  int one = 1;
  setsockopt(fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
}

Status Socket::try_request(nlmsghdr* msg, const Handler& on_reply) {
  nlmsghdr* one[] = {msg};
  return exchange(one, false, on_reply).front();
}

std::vector<Status> Socket::try_request_all(std::span<nlmsghdr* const> msgs) {
  return exchange(msgs, false, {});
}

Status Socket::dump(nlmsghdr* msg, const Handler& on_part) {
  nlmsghdr* one[] = {msg};
  return exchange(one, true, on_part).front();
}

void Socket::send_all(std::span<nlmsghdr* const> msgs) {
  // Each message must start on a 4-byte boundary inside the datagram.
  static const char padding[NLMSG_ALIGNTO] = {};
  std::vector<iovec> iov;
  iov.reserve(msgs.size() * 2);
  for (nlmsghdr* nlh : msgs) {
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
  while (sendmsg(fd_.get(), &header, 0) < 0) {
    if (errno != EINTR) throw_errno("send netlink request");
  }
}

std::vector<Status> Socket::exchange(std::span<nlmsghdr* const> msgs, bool dump, const Handler& on_reply) {
  const std::uint32_t first = next_seq_;
  for (nlmsghdr* nlh : msgs) {
    nlh->nlmsg_seq = next_seq_++;
    nlh->nlmsg_pid = 0;
    nlh->nlmsg_flags |= NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
  }
  send_all(msgs);
  std::vector<Status> statuses(msgs.size());
  receive(first, statuses, dump, on_reply);
  return statuses;
}

void Socket::receive(std::uint32_t first, std::vector<Status>& statuses, bool dump, const Handler& on_reply) {
  std::vector<bool> done(statuses.size(), false);
  std::size_t remaining = statuses.size();
  while (remaining > 0) {
    sockaddr_nl from{};
    iovec iov{buffer_.get(), kBufferSize};
    msghdr header{};
    header.msg_name = &from;
    header.msg_namelen = sizeof from;
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    ssize_t len = recvmsg(fd_.get(), &header, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      throw_errno("receive netlink reply");
    }
    if (header.msg_flags & MSG_TRUNC) throw Error::system(EMSGSIZE, "receive netlink reply");
    if (from.nl_pid != 0) continue;  // only the kernel answers requests

    auto left = static_cast<std::size_t>(len);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buffer_.get()); message_fits(nlh, left);
         nlh = next_message(nlh, left)) {
      std::uint32_t index = nlh->nlmsg_seq - first;  // unsigned: stale replies wrap to large values
      if (index >= statuses.size() || done[index]) continue;
      Status& status = statuses[index];
      bool interrupted = status.interrupted || (nlh->nlmsg_flags & NLM_F_DUMP_INTR);
      if (nlh->nlmsg_type == NLMSG_ERROR || (dump && nlh->nlmsg_type == NLMSG_DONE)) {
        status = nlh->nlmsg_type == NLMSG_ERROR ? parse_error(*nlh) : parse_done(*nlh);
        status.interrupted = interrupted;
        done[index] = true;
        --remaining;
      } else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
        status.interrupted = interrupted;
        if (on_reply) on_reply(*nlh);
      }
    }
  }
}

// The overloads for libnl-built messages: libnl builds, the socket core above sends.

Status Socket::try_request(nl_msg* msg, const Handler& on_reply) {
  return try_request(nlmsg_hdr(msg), on_reply);
}

void Socket::request(nl_msg* msg, const std::string& what, const Handler& on_reply) {
  Status status = try_request(msg, on_reply);
  if (!status.ok()) throw Error::system(status.error, what, status.detail);
}

std::vector<Status> Socket::try_request_all(std::span<const Request> requests) {
  std::vector<nlmsghdr*> msgs;
  msgs.reserve(requests.size());
  for (const auto& r : requests) msgs.push_back(nlmsg_hdr(r.msg.get()));
  return try_request_all(std::span<nlmsghdr* const>(msgs));
}

void Socket::request_all(std::span<const Request> requests) {
  auto statuses = try_request_all(requests);
  for (std::size_t i = 0; i < statuses.size(); ++i)
    if (!statuses[i].ok()) throw Error::system(statuses[i].error, requests[i].what, statuses[i].detail);
}

}  // namespace hookwire::netlink
