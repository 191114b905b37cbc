// A NETLINK_ROUTE socket that sends requests and reads the ACKs itself, keeping the
// kernel's errno and extended-ack text (libnl's own senders fold many errnos into
// NLE_FAILURE, "Unspecific failure").
// (Not named socket.h: that would shadow libnl's <netlink/socket.h> on the include path.)
//
// The socket core (rtnl_socket.cpp) uses no libnl at all, so that read-only users
// such as the statically linked readiness gate link no libnl; the overloads taking
// libnl messages live in request.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netlink/ptr.h"
#include "unique_fd.h"

namespace hookwire::netlink {

/// The kernel's answer to one request.
struct Status {
  int error = 0;             // 0, or a positive errno
  std::string detail;        // the extended-ack message, when the kernel gave one
  bool interrupted = false;  // a dump saw NLM_F_DUMP_INTR: the data changed meanwhile

  bool ok() const { return error == 0; }
};

/// The status an NLMSG_ERROR message carries: 0 for an ACK, or errno plus the
/// extended-ack text. Any netlink family's (nf_tables' too).
Status parse_error(const nlmsghdr& nlh);

/// Receives every message the kernel sends back for a request other than its ACK:
/// GET replies, echoes, dump parts.
using Handler = std::function<void(const nlmsghdr&)>;

/// One libnl-built request of a batch, with the "verb object" that names it in an error.
struct Request {
  MsgPtr msg;
  std::string what;
};

/// A dump request (RTM_GET*, NLM_F_DUMP), built without libnl.
struct DumpRequest {
  nlmsghdr header;
  ifinfomsg body;  // ifaddrmsg and rtmsg are shorter; each starts with the family
};
/// The dump request of `type` (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE) for `family`.
DumpRequest dump_request(int type, unsigned char family);

/// A NETLINK_ROUTE socket. It belongs to the netns of the thread that created it,
/// for its whole life.
class Socket {
 public:
  /// Opens a socket in the calling thread's netns. Throws Error::system.
  Socket();

  /// Sends `msg` and waits for its ACK; replies go to `on_reply`. Kernel refusals
  /// are returned, not thrown; socket failures throw Error::system.
  Status try_request(nlmsghdr* msg, const Handler& on_reply = {});
  /// Sends all messages in a single write (one round trip) and waits for every ACK.
  /// The kernel runs them in order and does not stop at a failure.
  std::vector<Status> try_request_all(std::span<nlmsghdr* const> msgs);
  /// Runs a dump request; every part goes to `on_part`.
  Status dump(nlmsghdr* msg, const Handler& on_part);

  // The same for libnl-built messages (request.cpp).
  Status try_request(nl_msg* msg, const Handler& on_reply = {});
  /// Like try_request, but throws Error::system(errno, what, extack) on refusal.
  void request(nl_msg* msg, const std::string& what, const Handler& on_reply = {});
  std::vector<Status> try_request_all(std::span<const Request> requests);
  /// Like try_request_all, but throws Error::system for the first refused request.
  void request_all(std::span<const Request> requests);

 private:
  std::vector<Status> exchange(std::span<nlmsghdr* const> msgs, bool dump, const Handler& on_reply);
  void send_all(std::span<nlmsghdr* const> msgs);
  void receive(std::uint32_t first, std::vector<Status>& statuses, bool dump, const Handler& on_reply);

  UniqueFd fd_;
  std::unique_ptr<char[]> buffer_;
  std::uint32_t next_seq_ = 1;
};

}  // namespace hookwire::netlink
