// IP addresses and CIDR prefixes, both families, parsed strictly.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <hookwire/export.h>

namespace hookwire {

enum class Family { v4, v6 };

/// One IPv4 or IPv6 address. IPv4 uses the first 4 bytes of `bytes`.
class HOOKWIRE_EXPORT IpAddress {
 public:
  IpAddress() = default;
  /// Parses dotted-quad or RFC 4291 text; nullopt when it is neither.
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress from_bytes(Family family, const std::uint8_t* bytes);

  Family family() const { return family_; }
  int bits() const { return family_ == Family::v4 ? 32 : 128; }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::size_t size() const { return family_ == Family::v4 ? 4 : 16; }
  /// Canonical text (inet_ntop).
  std::string str() const;

  bool is_multicast() const;
  bool is_unspecified() const;
  /// 127.0.0.0/8 or ::1.
  bool is_loopback() const;
  /// fc00::/7 (an IPv6 unique local address); false for IPv4.
  bool is_unique_local() const { return family_ == Family::v6 && (bytes_[0] & 0xfe) == 0xfc; }
  /// The address `n` places `n` places after this one (wrapping is the caller's concern).
  IpAddress plus(std::uint64_t n) const;
  /// Whether the host bits below `prefix` are all zero / all one.
  bool host_bits_zero(int prefix) const;
  bool host_bits_one(int prefix) const;
  IpAddress masked(int prefix) const;

  auto operator<=>(const IpAddress&) const = default;

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

/// An address with a prefix length, as in "10.213.0.7/16".
struct HOOKWIRE_EXPORT Cidr {
  IpAddress address;
  int prefix = 0;

  /// Parses "ADDRESS/PREFIX"; nullopt when malformed or the prefix is out of range.
  static std::optional<Cidr> parse(std::string_view text);
  Family family() const { return address.family(); }
  std::string str() const;
  /// The network this CIDR names (host bits cleared).
  Cidr network() const { return {address.masked(prefix), prefix}; }
  bool contains(const IpAddress& ip) const;

  auto operator<=>(const Cidr&) const = default;
};

/// A 48-bit Ethernet address.
struct HOOKWIRE_EXPORT MacAddress {
  std::array<std::uint8_t, 6> bytes{};

  /// Parses "aa:bb:cc:dd:ee:ff" (also with '-'); nullopt when malformed.
  static std::optional<MacAddress> parse(std::string_view text);
  std::string str() const;
  bool is_multicast() const { return bytes[0] & 1; }
  bool is_zero() const;
  /// A usable interface address: not multicast/broadcast, not all zeros.
  bool is_unicast() const { return !is_multicast() && !is_zero(); }
};

}  // namespace hookwire
