#include <hookwire/ip.h>

#include <arpa/inet.h>
#include <charconv>
#include <cstdio>

namespace hookwire {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  // inet_pton would stop at a NUL byte: "10.0.0.1\0junk" is not an address.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN];
  text.copy(buffer, text.size());
  buffer[text.size()] = '\0';
  IpAddress ip;
  if (inet_pton(AF_INET, buffer, ip.bytes_.data()) == 1) {
    ip.family_ = Family::v4;
    return ip;
  }
  if (inet_pton(AF_INET6, buffer, ip.bytes_.data()) == 1) {
    ip.family_ = Family::v6;
    return ip;
  }
  return std::nullopt;
}

IpAddress IpAddress::from_bytes(Family family, const std::uint8_t* bytes) {
  IpAddress ip;
  ip.family_ = family;
  std::copy(bytes, bytes + ip.size(), ip.bytes_.begin());
  return ip;
}

std::string IpAddress::str() const {
  char buffer[INET6_ADDRSTRLEN];
  inet_ntop(family_ == Family::v4 ? AF_INET : AF_INET6, bytes_.data(), buffer, sizeof buffer);
  return buffer;
}

bool IpAddress::is_multicast() const {
  return family_ == Family::v4 ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::is_unspecified() const {
  for (std::size_t i = 0; i < size(); ++i)
    if (bytes_[i] != 0) return false;
  return true;
}

bool IpAddress::is_loopback() const {
  if (family_ == Family::v4) return bytes_[0] == 127;
  for (std::size_t i = 0; i < 15; ++i)
    if (bytes_[i] != 0) return false;
  return bytes_[15] == 1;
}

IpAddress IpAddress::plus(std::uint64_t n) const {
  IpAddress out = *this;
  unsigned carry = 0;
  for (int i = static_cast<int>(size()) - 1; i >= 0; --i) {
    unsigned sum = out.bytes_[i] + static_cast<unsigned>(n & 0xff) + carry;
    out.bytes_[i] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
    n >>= 8;
    if (n == 0 && carry == 0) break;
  }
  return out;
}

namespace {

// Calls visit(byte_index, host_mask) for every byte that has host bits below `prefix`.
template <typename Visit>
void for_host_bytes(std::size_t size, int prefix, Visit visit) {
  for (std::size_t i = 0; i < size; ++i) {
    int first_bit = static_cast<int>(i) * 8;
    if (first_bit + 8 <= prefix) continue;
    int network_bits = prefix > first_bit ? prefix - first_bit : 0;
    visit(i, static_cast<std::uint8_t>(0xff >> network_bits));
  }
}

}  // namespace

bool IpAddress::host_bits_zero(int prefix) const {
  bool zero = true;
  for_host_bytes(size(), prefix, [&](std::size_t i, std::uint8_t mask) { zero &= (bytes_[i] & mask) == 0; });
  return zero;
}

bool IpAddress::host_bits_one(int prefix) const {
  bool one = true;
  for_host_bytes(size(), prefix, [&](std::size_t i, std::uint8_t mask) { one &= (bytes_[i] & mask) == mask; });
  return one;
}

IpAddress IpAddress::masked(int prefix) const {
  IpAddress out = *this;
  for_host_bytes(size(), prefix,
                 [&](std::size_t i, std::uint8_t mask) { out.bytes_[i] &= static_cast<std::uint8_t>(~mask); });
  return out;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  auto digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  int prefix = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (prefix < 0 || prefix > address->bits()) return std::nullopt;
  return Cidr{*address, prefix};
}

std::string Cidr::str() const {
  return address.str() + "/" + std::to_string(prefix);
}

bool Cidr::contains(const IpAddress& ip) const {
  return ip.family() == address.family() && ip.masked(prefix) == address.masked(prefix);
}

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  MacAddress mac;
  for (std::size_t i = 0; i < 6; ++i) {
    std::string_view pair = text.substr(i * 3, 2);
    if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') return std::nullopt;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(pair.data(), pair.data() + 2, value, 16);
    if (ec != std::errc() || end != pair.data() + 2) return std::nullopt;
    mac.bytes[i] = static_cast<std::uint8_t>(value);
  }
  return mac;
}

std::string MacAddress::str() const {
  char buffer[18];
  std::snprintf(buffer, sizeof buffer, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3],
                bytes[4], bytes[5]);
  return buffer;
}

bool MacAddress::is_zero() const {
  for (auto b : bytes)
    if (b) return false;
  return true;
}

}  // namespace hookwire
