// A NETLINK_ROUTE socket that sends libnl-built messages and reads the ACKs itself,
// keeping the kernel's errno and extended-ack text (libnl folds many errnos into
// NLE_FAILURE, "Unspecific failure").
// (Not named socket.h: that would shadow libnl's <netlink/socket.h> on the include path.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <linux/netlink.h>

#include "netlink/ptr.h"

namespace hookwire::netlink {

/// The kernel's answer to one request.
struct Status {
  int error = 0;             // 0, or a positive errno
  std::string detail;        // the extended-ack message, when the kernel gave one
  bool interrupted = false;  // a dump saw NLM_F_DUMP_INTR: the data changed meanwhile

  bool ok() const { return error == 0; }
};

/// Receives every message the kernel sends back for a request other than its ACK:
/// GET replies, echoes, dump parts.
using Handler = std::function<void(const nlmsghdr&)>;

/// A dump request (RTM_GET*, NLM_F_DUMP) for `family`; every rtnetlink header
/// starts with the family byte, and ifinfomsg is the largest one a dump needs.
MsgPtr dump_request(int type, unsigned char family);

/// One request of a batch, with the "verb object" that names it in an error.
struct Request {
  MsgPtr msg;
  std::string what;
};

/// A NETLINK_ROUTE socket. It belongs to the netns of the thread that created it,
/// for its whole life.
class Socket {
 public:
  /// Opens a socket in the calling thread's netns. Throws Error::system.
  Socket();
  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&&) noexcept = default;
  ~Socket() = default;

  /// Sends `msg` and waits for its ACK; replies go to `on_reply`. Kernel refusals
  /// are returned, not thrown; socket failures throw Error::system.
  Status try_request(nl_msg* msg, const Handler& on_reply = {});
  /// Like try_request, but throws Error::system(errno, what, extack) on refusal.
  void request(nl_msg* msg, const std::string& what, const Handler& on_reply = {});
  /// Sends all requests in a single write (one round trip) and waits for every
  /// ACK. The kernel runs them in order and does not stop at a failure.
  std::vector<Status> try_request_all(std::span<const Request> requests);
  /// Like try_request_all, but throws Error::system for the first refused request.
  void request_all(std::span<const Request> requests);
  /// Runs a dump request; every part goes to `on_part`.
  Status dump(nl_msg* msg, const Handler& on_part);

 private:
  std::vector<Status> exchange(std::span<nl_msg* const> msgs, bool dump, const Handler& on_reply);
  void send_all(std::span<nl_msg* const> msgs);
  int fd() const;

  SockPtr sock_;
  std::unique_ptr<char[]> buffer_;
  std::uint32_t next_seq_ = 1;
};

}  // namespace hookwire::netlink
