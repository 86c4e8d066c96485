// What the benches read about their own process: CPU time (steadier than wall time on a shared
// machine) and memory lines of /proc/self/status (peak and current resident set).
//
//   const double cpu0 = fc::bench::cpu_seconds();  ...;  double cpu_ms = (fc::bench::cpu_seconds() - cpu0) * 1e3;
//   double peak = fc::bench::status_mib("VmHWM:");
#pragma once

#include <cstring>
#include <ctime>
#include <fstream>
#include <string>

namespace fc::bench {

// CPU time of the whole process (all threads), in seconds.
inline double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// A "VmHWM:   123 kB" line of /proc/self/status, in MiB (0 when the key is absent).
inline double status_mib(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(std::strlen(key))) / 1024.0;
  return 0;
}

}  // namespace fc::bench
