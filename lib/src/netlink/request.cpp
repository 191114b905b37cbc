// Socket's overloads for libnl-built messages: libnl builds, the socket core sends.
#include <hookwire/error.h>

#include "netlink/rtnl_socket.h"

namespace hookwire::netlink {

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
