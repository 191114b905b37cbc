// nftables elements over NETLINK_NETFILTER (nft_elements.h). libnl-3 builds and
// parses the messages; the socket below sends and reads them itself, as
// netlink/rtnl_socket.cpp does for routing, so that the kernel's errno and
// extended-ack text reach the error unchanged.
#include "nft_elements.h"

#include <hookwire/error.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "netlink/link.h"
#include "netlink/ptr.h"
#include "netlink/rtnl_socket.h"
#include "unique_fd.h"

namespace hookwire::nft {

namespace {

using netlink::MsgPtr;

// Dump parts are at most 32 KiB (the kernel caps them at what recvmsg asked for).
constexpr std::size_t kBufferSize = 64 * 1024;
// The kernel answers from inside sendmsg(2) or recvmsg(2), so a reply is always
// there at once; this only turns a reply that can never come into an error.
constexpr timeval kReplyTimeout{5, 0};

using netlink::Status;

/// Receives every message the kernel sends back other than an ACK or NLMSG_DONE.
using Handler = std::function<void(const nlmsghdr&)>;

/// One request of a transaction, with the "verb object" that names it in an error.
struct Request {
  MsgPtr msg;
  std::string what;
};

/// A NETLINK_NETFILTER socket in the calling thread's netns, for its whole life.
class Socket {
 public:
  Socket() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER)), buffer_(new char[kBufferSize]) {
    if (!fd_) throw_errno("nftables: open a NETLINK_NETFILTER socket");
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;  // port 0: the kernel picks a free one
    if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
      throw_errno("nftables: bind a NETLINK_NETFILTER socket");
    if (setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &kReplyTimeout, sizeof kReplyTimeout) != 0)
      throw_errno("nftables: set a receive timeout");
    // Best effort: without these (kernels before 4.12) errors simply carry no detail.
    int one = 1;
    setsockopt(fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    setsockopt(fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  }

  /// Sends one request (not a batch) and hands its replies to `on_reply` until
  /// its ACK or, for a dump, its NLMSG_DONE. Kernel refusals are returned.
  Status request(nl_msg* msg, const Handler& on_reply) {
    nlmsghdr* sent = nlmsg_hdr(msg);
    std::uint32_t seq = send({&sent, 1});
    std::optional<Status> status;
    bool interrupted = false;
    while (!status) {
      receive([&](const nlmsghdr& nlh) {
        if (nlh.nlmsg_seq != seq || status) return;
        interrupted = interrupted || (nlh.nlmsg_flags & NLM_F_DUMP_INTR);
        if (nlh.nlmsg_type == NLMSG_ERROR) {
          status = netlink::parse_error(nlh);
        } else if (nlh.nlmsg_type == NLMSG_DONE) {
          int error = 0;
          if (nlh.nlmsg_len >= NLMSG_LENGTH(sizeof error)) std::memcpy(&error, NLMSG_DATA(&nlh), sizeof error);
          status = Status{error < 0 ? -error : 0, {}};
        } else if (nlh.nlmsg_type >= NLMSG_MIN_TYPE) {
          on_reply(nlh);
        }
      });
    }
    status->interrupted = interrupted;
    return *status;
  }

  /// Runs `requests` as one nf_tables transaction: BATCH_BEGIN, the requests,
  /// BATCH_END, in one datagram. The kernel applies all of them or, when one
  /// fails, none. Throws Error::system for the first refused request, or naming
  /// `what` when the transaction failed as a whole.
  void transact(std::span<const Request> requests, const std::string& what) {
    MsgPtr begin = batch_message(NFNL_MSG_BATCH_BEGIN);
    MsgPtr end = batch_message(NFNL_MSG_BATCH_END);
    std::vector<nlmsghdr*> batch{nlmsg_hdr(begin.get())};
    for (const auto& r : requests) {
      batch.push_back(nlmsg_hdr(r.msg.get()));
      batch.back()->nlmsg_flags |= NLM_F_ACK;  // so that each gets exactly one answer
    }
    batch.push_back(nlmsg_hdr(end.get()));
    std::uint32_t first = send(batch);

    // nfnetlink runs the whole batch inside sendmsg(2) and delivers its answers
    // in order: a failure of the batch as a whole (its commit; no memory left for
    // the answers) against BATCH_BEGIN, first; then exactly one for each request,
    // which asks for an ACK. BATCH_BEGIN and BATCH_END ask for none: kernels
    // before 6.10 ignore NLM_F_ACK on them, so BATCH_END's ACK could never be
    // waited for there (Debian 12 runs 6.1).
    std::vector<std::optional<Status>> answers(batch.size());
    std::size_t unanswered = requests.size();
    while (unanswered > 0 && !answers.front()) {
      receive([&](const nlmsghdr& nlh) {
        std::uint32_t index = nlh.nlmsg_seq - first;  // unsigned: stale replies wrap to large values
        if (nlh.nlmsg_type != NLMSG_ERROR || index >= answers.size() || answers[index]) return;
        answers[index] = netlink::parse_error(nlh);
        if (index > 0) --unanswered;
      });
    }
    if (answers.front()) throw Error::system(answers.front()->error, what, answers.front()->detail);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const Status& status = *answers[i + 1];
      if (status.error != 0) throw Error::system(status.error, requests[i].what, status.detail);
    }
  }

 private:
  /// NFNL_MSG_BATCH_BEGIN or _END for nf_tables (res_id in network order).
  static MsgPtr batch_message(int type) {
    MsgPtr msg(nlmsg_alloc_simple(type, NLM_F_REQUEST));
    if (!msg) throw Error::system(ENOMEM, "nftables: allocate a netlink message");
    nfgenmsg header{AF_UNSPEC, NFNETLINK_V0, htons(NFNL_SUBSYS_NFTABLES)};
    netlink::check_built(nlmsg_append(msg.get(), &header, sizeof header, NLMSG_ALIGNTO), "nftables: build a batch");
    return msg;
  }

  /// Numbers `msgs` from the next sequence number and sends them in one datagram:
  /// a batch must reach the kernel whole. Returns the first message's number.
  std::uint32_t send(std::span<nlmsghdr* const> msgs) {
    static const char padding[NLMSG_ALIGNTO] = {};
    const std::uint32_t first = next_seq_;
    std::vector<iovec> iov;
    for (nlmsghdr* nlh : msgs) {
      nlh->nlmsg_seq = next_seq_++;
      nlh->nlmsg_pid = 0;
      nlh->nlmsg_flags |= NLM_F_REQUEST;
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
    while (sendmsg(fd_.get(), &header, 0) < 0)
      if (errno != EINTR) throw_errno("nftables: send a netlink request");
    return first;
  }

  /// Reads one datagram and hands each of the kernel's messages in it to `on_message`.
  void receive(const Handler& on_message) {
    sockaddr_nl from{};
    iovec iov{buffer_.get(), kBufferSize};
    msghdr header{};
    header.msg_name = &from;
    header.msg_namelen = sizeof from;
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    ssize_t len;
    while ((len = recvmsg(fd_.get(), &header, 0)) < 0 && errno == EINTR) {
    }
    if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      throw Error::system(ETIMEDOUT, "nftables: wait for the kernel's answer");
    if (len < 0) throw_errno("nftables: receive the kernel's answer");
    if (header.msg_flags & MSG_TRUNC) throw Error::system(EMSGSIZE, "nftables: receive the kernel's answer");
    if (from.nl_pid != 0) return;  // only the kernel answers requests
    int left = static_cast<int>(len);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buffer_.get()); nlmsg_ok(nlh, left); nlh = nlmsg_next(nlh, &left))
      on_message(*nlh);
  }

  UniqueFd fd_;
  std::unique_ptr<char[]> buffer_;
  std::uint32_t next_seq_ = 1;
};

/// An nf_tables message of `type` for family inet, sized for `payload` bytes of attributes.
MsgPtr nft_message(int type, int flags, std::size_t payload) {
  MsgPtr msg(nlmsg_alloc_size(NLMSG_SPACE(sizeof(nfgenmsg)) + payload));
  if (!msg) throw Error::system(ENOMEM, "nftables: allocate a netlink message");
  if (!nlmsg_put(msg.get(), 0, 0, (NFNL_SUBSYS_NFTABLES << 8) | type, 0, NLM_F_REQUEST | flags))
    throw Error::system(ENOMEM, "nftables: build a netlink message");
  nfgenmsg header{NFPROTO_INET, NFNETLINK_V0, 0};
  netlink::check_built(nlmsg_append(msg.get(), &header, sizeof header, NLMSG_ALIGNTO), "nftables: build a request");
  return msg;
}

/// The space an attribute of `len` bytes takes, header and padding included.
std::size_t attribute_space(std::size_t len) {
  return NLA_ALIGN(NLA_HDRLEN + len);
}

/// `bytes` as nft_data: a nest of type `type` holding NFTA_DATA_VALUE.
void put_value(nl_msg* msg, int type, const std::vector<std::uint8_t>& bytes) {
  nlattr* nest = nla_nest_start(msg, type);
  if (!nest) throw Error::system(EMSGSIZE, "nftables: build a request");
  netlink::check_built(nla_put(msg, NFTA_DATA_VALUE, static_cast<int>(bytes.size()), bytes.data()),
                       "nftables: build a request");
  nla_nest_end(msg, nest);
}

/// NEWSETELEM or DELSETELEM (`type`) of `elements`, all of set `set`. A delete
/// goes by key alone, as the kernel looks elements up by key.
MsgPtr elements_message(int type, int flags, const std::string& table, const std::string& set,
                        std::span<const Element* const> elements) {
  bool with_data = type == NFT_MSG_NEWSETELEM;
  std::size_t payload = attribute_space(table.size() + 1) + attribute_space(set.size() + 1) + NLA_HDRLEN;
  for (const Element* e : elements) {
    payload += 3 * NLA_HDRLEN + NLA_ALIGN(e->key.size());
    if (with_data && !e->data.empty()) payload += 2 * NLA_HDRLEN + NLA_ALIGN(e->data.size());
  }
  MsgPtr msg = nft_message(type, flags, payload);
  nl_msg* m = msg.get();
  netlink::check_built(nla_put_string(m, NFTA_SET_ELEM_LIST_TABLE, table.c_str()), "nftables: build a request");
  netlink::check_built(nla_put_string(m, NFTA_SET_ELEM_LIST_SET, set.c_str()), "nftables: build a request");
  nlattr* list = nla_nest_start(m, NFTA_SET_ELEM_LIST_ELEMENTS);
  if (!list) throw Error::system(EMSGSIZE, "nftables: build a request");
  for (const Element* e : elements) {
    nlattr* item = nla_nest_start(m, NFTA_LIST_ELEM);
    if (!item) throw Error::system(EMSGSIZE, "nftables: build a request");
    put_value(m, NFTA_SET_ELEM_KEY, e->key);
    if (with_data && !e->data.empty()) put_value(m, NFTA_SET_ELEM_DATA, e->data);
    nla_nest_end(m, item);
  }
  nla_nest_end(m, list);
  return msg;
}

/// The elements grouped by set, the sets in the order they first appear.
std::vector<std::pair<std::string, std::vector<const Element*>>> by_set(const std::vector<Element>& elements) {
  std::vector<std::pair<std::string, std::vector<const Element*>>> groups;
  for (const Element& e : elements) {
    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == e.set; });
    if (group == groups.end()) group = groups.insert(groups.end(), {e.set, {}});
    group->second.push_back(&e);
  }
  return groups;
}

/// The NFTA_DATA_VALUE bytes of an nft_data nest; empty for a verdict.
std::vector<std::uint8_t> value_of(nlattr* data) {
  nlattr* tb[NFTA_DATA_MAX + 1] = {};
  if (!data || nla_parse_nested(tb, NFTA_DATA_MAX, data, nullptr) != 0 || !tb[NFTA_DATA_VALUE]) return {};
  const auto* bytes = static_cast<const std::uint8_t*>(nla_data(tb[NFTA_DATA_VALUE]));
  return {bytes, bytes + nla_len(tb[NFTA_DATA_VALUE])};
}

/// The elements in one NEWSETELEM part of a dump.
void parse_elements(const nlmsghdr& nlh, const std::string& set, std::vector<Element>& out) {
  nlattr* tb[NFTA_SET_ELEM_LIST_MAX + 1] = {};
  if (nlh.nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM)) return;
  if (nlmsg_parse(const_cast<nlmsghdr*>(&nlh), sizeof(nfgenmsg), tb, NFTA_SET_ELEM_LIST_MAX, nullptr) != 0) return;
  if (!tb[NFTA_SET_ELEM_LIST_ELEMENTS]) return;
  nlattr* item;
  int left;
  nla_for_each_nested(item, tb[NFTA_SET_ELEM_LIST_ELEMENTS], left) {
    nlattr* elem[NFTA_SET_ELEM_MAX + 1] = {};
    if (nla_type(item) != NFTA_LIST_ELEM || nla_parse_nested(elem, NFTA_SET_ELEM_MAX, item, nullptr) != 0) continue;
    out.push_back({set, value_of(elem[NFTA_SET_ELEM_KEY]), value_of(elem[NFTA_SET_ELEM_DATA])});
  }
}

// run_nft: nft gets its input from, and writes its errors to, anonymous memory
// files rather than pipes, so there is nothing to pump while it runs and nothing
// it could block on: it is started, waited for, and its stderr read afterwards.

/// The programs tried, in order: hooks run with an empty environment, so no PATH.
constexpr const char* kNftPaths[] = {"/usr/sbin/nft", "/sbin/nft"};
/// The most of nft's stderr read back for the error message.
constexpr std::size_t kMaxStderr = 16 * 1024;

UniqueFd memory_file(const char* name) {
  UniqueFd fd(memfd_create(name, MFD_CLOEXEC));
  if (!fd) throw_errno("nft -f: create a memory file");
  return fd;
}

void write_all(const UniqueFd& fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = write(fd.get(), text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("nft -f: write its input");
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

/// The line of nft's stderr that names the error: the first that says "Error:",
/// else the first that is not empty.
std::string error_line(const UniqueFd& fd) {
  std::string text(kMaxStderr, '\0');
  ssize_t n;
  while ((n = pread(fd.get(), text.data(), text.size(), 0)) < 0 && errno == EINTR) {
  }
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  std::string first;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = std::min(text.find('\n', start), text.size());
    std::string line = text.substr(start, end - start);
    if (line.find("Error:") != std::string::npos) return line;
    if (first.empty()) first = line;
    start = end + 1;
  }
  return first;
}

/// posix_spawn's file actions and attributes, destroyed with the object.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

bool table_exists(const std::string& table) {
  MsgPtr msg = nft_message(NFT_MSG_GETTABLE, NLM_F_ACK, attribute_space(table.size() + 1));
  netlink::check_built(nla_put_string(msg.get(), NFTA_TABLE_NAME, table.c_str()), "nftables: build a request");
  Socket socket;
  Status status = socket.request(msg.get(), [](const nlmsghdr&) {});
  if (status.error == ENOENT) return false;
  if (status.error != 0) throw Error::system(status.error, "nftables: look up table inet " + table, status.detail);
  return true;
}

void commit(const std::string& table, const std::vector<Element>& add, const std::vector<Element>& remove) {
  if (add.empty() && remove.empty()) return;
  // Deletions first, so that one commit can give a key new data (a map element
  // whose data differs is EEXIST to an add, with or without NLM_F_EXCL).
  std::vector<Request> requests;
  for (const auto& [set, elements] : by_set(remove))
    requests.push_back(
        {elements_message(NFT_MSG_DELSETELEM, 0, table, set, elements), "nftables: delete element from set " + set});
  // No NLM_F_EXCL: adding an element that is already there with the same data succeeds.
  for (const auto& [set, elements] : by_set(add))
    requests.push_back({elements_message(NFT_MSG_NEWSETELEM, NLM_F_CREATE, table, set, elements),
                        "nftables: add element to set " + set});
  Socket socket;
  socket.transact(requests, "nftables: commit to table inet " + table);
}

std::vector<Element> list_elements(const std::string& table, const std::string& set) {
  MsgPtr msg =
      nft_message(NFT_MSG_GETSETELEM, NLM_F_DUMP, attribute_space(table.size() + 1) + attribute_space(set.size() + 1));
  netlink::check_built(nla_put_string(msg.get(), NFTA_SET_ELEM_LIST_TABLE, table.c_str()), "nftables: build a request");
  netlink::check_built(nla_put_string(msg.get(), NFTA_SET_ELEM_LIST_SET, set.c_str()), "nftables: build a request");
  Socket socket;
  // A dump that ran into a concurrent change may miss or repeat elements: start over.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    std::vector<Element> elements;
    Status status = socket.request(msg.get(), [&](const nlmsghdr& nlh) { parse_elements(nlh, set, elements); });
    if (status.error != 0) throw Error::system(status.error, "nftables: list set " + set, status.detail);
    if (!status.interrupted) return elements;
    if (attempt == kAttempts) throw Error::system(EAGAIN, "nftables: list set " + set, "changed during every dump");
  }
}

std::size_t count_rules(const std::string& table) {
  MsgPtr msg = nft_message(NFT_MSG_GETRULE, NLM_F_DUMP, attribute_space(table.size() + 1));
  netlink::check_built(nla_put_string(msg.get(), NFTA_RULE_TABLE, table.c_str()), "nftables: build a request");
  Socket socket;
  std::size_t rules = 0;
  Status status = socket.request(msg.get(), [&](const nlmsghdr& nlh) {
    if ((nlh.nlmsg_type & 0xff) == NFT_MSG_NEWRULE) ++rules;
  });
  if (status.error != 0)
    throw Error::system(status.error, "nftables: list the rules of table inet " + table, status.detail);
  return rules;
}

void run_nft(const std::string& text) {
  UniqueFd input = memory_file("nft-input");
  write_all(input, text);
  if (lseek(input.get(), 0, SEEK_SET) != 0) throw_errno("nft -f: rewind its input");
  UniqueFd errors = memory_file("nft-stderr");

  SpawnSetup setup;
  // stdout is /dev/null, so that nft never holds our own; nothing else is inherited.
  posix_spawn_file_actions_adddup2(&setup.actions, input.get(), STDIN_FILENO);
  posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, errors.get(), STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  // nft starts with signals as a fresh program would, whatever the caller blocks or ignores.
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  char arg0[] = "nft", arg1[] = "-f", arg2[] = "-";
  char* argv[] = {arg0, arg1, arg2, nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int err = ENOENT;
  const char* path = kNftPaths[0];
  for (const char* candidate : kNftPaths) {
    path = candidate;
    err = posix_spawn(&pid, path, &setup.actions, &setup.attr, argv, envp);
    if (err != ENOENT) break;
  }
  if (err == ENOENT) throw Error::system(err, "nft -f: run /usr/sbin/nft or /sbin/nft");
  if (err != 0) throw Error::system(err, "nft -f: run " + std::string(path));

  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw_errno("nft -f: wait for " + std::string(path));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string line = error_line(errors);
  if (line.empty())
    line = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                             : "killed by signal " + std::to_string(WTERMSIG(status));
  throw Error::failed("nft -f: " + line);
}

}  // namespace hookwire::nft
