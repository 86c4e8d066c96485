// Multi-process checks of dist/communicator.h, run by tests/test_dist.cpp as
// `mpirun -np 2 fc_dist_check MODE`:
//   collectives  sums (float, non-blocking; double, blocking) and a gather; prints "ok" on rank 0
//   stall        rank 1 never joins the all-reduce (a hung peer): rank 0 must fail with the
//                progress-timeout error after --timeout seconds and abort the job
//   die          rank 1 exits at once (a dead peer): the job must end, not hang
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "dist/communicator.h"

using fc::dist::Communicator;

namespace {

int collectives(Communicator& comm) {
  const int rank = comm.rank(), world = comm.world_size();
  std::vector<float> values(1000, static_cast<float>(rank + 1));
  auto pending = comm.start_sum(values.data(), values.size());
  std::vector<double> small = {1.0, static_cast<double>(rank)};
  comm.sum(small.data(), small.size());
  pending->wait();
  const float expected = static_cast<float>(world * (world + 1) / 2);
  for (float v : values) FC_CHECK(v == expected, "start_sum: got ", v, ", expected ", expected);
  FC_CHECK(small[0] == world && small[1] == world * (world - 1) / 2, "sum: got ", small[0], ", ", small[1]);
  std::vector<std::string> texts = comm.gather("rank " + std::to_string(rank));
  if (rank == 0) {
    FC_CHECK(static_cast<int>(texts.size()) == world, "gather: ", texts.size(), " texts");
    for (int r = 0; r < world; ++r) FC_CHECK(texts[r] == "rank " + std::to_string(r), "gather: ", texts[r]);
    std::cout << "ok " << world << std::endl;
  } else {
    FC_CHECK(texts.empty(), "gather: rank ", rank, " got texts");
  }
  comm.barrier();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "collectives";
  const double timeout = argc > 2 ? std::atof(argv[2]) : 5.0;
  std::unique_ptr<Communicator> comm = fc::dist::open_communicator({.timeout_seconds = timeout});
  try {
    if (mode == "collectives") return collectives(*comm);
    if (mode == "stall" || mode == "die") {
      if (comm->rank() == 1) {
        if (mode == "die") _exit(7);
        std::this_thread::sleep_for(std::chrono::seconds(120));
        return 0;
      }
      double x = 1;
      comm->sum(&x, 1);
      std::cerr << "rank " << comm->rank() << ": the collective completed without rank 1" << std::endl;
      return 1;
    }
    std::cerr << "unknown mode " << mode << std::endl;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    comm->abort(3);
    return 3;
  }
}
