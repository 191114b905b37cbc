// Helpers shared by the unit tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <hookwire/ip.h>
#include <hookwire/profile.h>

namespace hookwire::test {

/// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/hookwire-test-XXXXXX";
    if (!mkdtemp(pattern)) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// A pool of `subnet` with `gateway`, both valid text.
inline PoolSpec pool_spec(const char* subnet, const char* gateway) {
  return {*Cidr::parse(subnet), *IpAddress::parse(gateway)};
}

}  // namespace hookwire::test
