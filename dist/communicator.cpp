#include "dist/communicator.h"

#include <cstdlib>

#include "core/error.h"

namespace fc::dist {

namespace {

class DonePendingSum : public PendingSum {
 public:
  bool test() override { return true; }
  void wait() override {}
};

const char* launcher_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"})
    if (const char* v = std::getenv(name)) return v;
  return nullptr;
}

}  // namespace

std::unique_ptr<PendingSum> LocalCommunicator::start_sum(float* data, size_t count) {
  return std::make_unique<DonePendingSum>();
}

bool launched_by_mpi() { return launcher_world_size() != nullptr || std::getenv("PMIX_RANK") != nullptr; }

#ifdef FC_HAVE_MPI
std::unique_ptr<Communicator> open_mpi_communicator(const CommunicatorOptions& options);  // mpi_communicator.cpp
bool built_with_mpi() { return true; }
#else
bool built_with_mpi() { return false; }
#endif

std::unique_ptr<Communicator> open_communicator(const CommunicatorOptions& options) {
  if (!launched_by_mpi()) return std::make_unique<LocalCommunicator>();
#ifdef FC_HAVE_MPI
  return open_mpi_communicator(options);
#else
  const char* size = launcher_world_size();
  FC_CHECK(size == nullptr || std::atoi(size) <= 1, "started by an MPI launcher with ", size,
           " processes, but this faceptor was built without MPI (install libopenmpi-dev: `make deps`, then rebuild)");
  return std::make_unique<LocalCommunicator>();
#endif
}

}  // namespace fc::dist
