// The MPI Communicator (compiled only when CMake found MPI). Every collective is a non-blocking
// MPI_I* call completed by an MPI_Test loop with a deadline, so a dead or hung peer becomes an
// fc::Error on the others instead of a hang.
#include <mpi.h>

#include <chrono>
#include <thread>

#include "core/error.h"
#include "dist/communicator.h"

namespace fc::dist {

namespace {

using Clock = std::chrono::steady_clock;

// Polls `request` until it completes; throws after `timeout_seconds` without completion.
void wait_with_deadline(MPI_Request& request, double timeout_seconds, int rank, int world, const char* what) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_seconds);
  int done = 0;
  for (int spin = 0;; ++spin) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    if (Clock::now() > deadline)
      throw Error(str_cat("MPI ", what, " on rank ", rank, " of ", world, " made no progress for ", timeout_seconds,
                          " s: another rank has died or hangs (see its error; raise the limit with --dist-timeout "
                          "if a rank is just slow, e.g. writing a checkpoint)"));
    // Spin briefly (a collective usually completes within microseconds of the last peer
    // arriving), then yield the core to the compute threads of this machine.
    if (spin > 1000) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

class MpiPendingSum : public PendingSum {
 public:
  MpiPendingSum(MPI_Request request, double timeout, int rank, int world)
      : request_(request), timeout_(timeout), rank_(rank), world_(world) {}
  ~MpiPendingSum() override {
    // Never leave a request pointing at a buffer that is about to go away.
    if (request_ != MPI_REQUEST_NULL && !failed_) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  bool test() override {
    if (request_ == MPI_REQUEST_NULL) return true;
    int done = 0;
    MPI_Test(&request_, &done, MPI_STATUS_IGNORE);
    return done != 0;
  }
  void wait() override {
    if (request_ == MPI_REQUEST_NULL) return;
    try {
      wait_with_deadline(request_, timeout_, rank_, world_, "gradient all-reduce");
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

 private:
  MPI_Request request_;
  double timeout_;
  int rank_, world_;
  bool failed_ = false;
};

class MpiCommunicator : public Communicator {
 public:
  explicit MpiCommunicator(const CommunicatorOptions& options) : options_(options) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    FC_CHECK(!initialized, "open_communicator: MPI is already initialised in this process");
    // Only the training thread calls MPI (data loader workers never do).
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    // Errors come back as codes (then fc::Error) instead of MPI's default abort-on-error.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &world_);
  }
  ~MpiCommunicator() override {
    if (!aborted_) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::string describe() const override { return str_cat("MPI, rank ", rank_, " of ", world_); }

  std::unique_ptr<PendingSum> start_sum(float* data, size_t count) override {
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, checked_count(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request),
          "MPI_Iallreduce");
    return std::make_unique<MpiPendingSum>(request, options_.timeout_seconds, rank_, world_);
  }

  void sum(double* data, size_t count) override {
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, checked_count(count), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &request),
          "MPI_Iallreduce");
    wait_with_deadline(request, options_.timeout_seconds, rank_, world_, "all-reduce");
  }

  std::vector<std::string> gather(const std::string& text) override {
    int length = checked_count(text.size());
    std::vector<int> lengths(rank_ == 0 ? world_ : 0);
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Igather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD, &request), "MPI_Igather");
    wait_with_deadline(request, options_.timeout_seconds, rank_, world_, "gather");
    std::vector<int> offsets(lengths.size());
    int total = 0;
    for (size_t r = 0; r < lengths.size(); ++r) {
      offsets[r] = total;
      total += lengths[r];
    }
    std::string all(static_cast<size_t>(total), '\0');
    check(MPI_Igatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
                       MPI_COMM_WORLD, &request),
          "MPI_Igatherv");
    wait_with_deadline(request, options_.timeout_seconds, rank_, world_, "gather");
    std::vector<std::string> out;
    for (size_t r = 0; r < lengths.size(); ++r) out.push_back(all.substr(offsets[r], lengths[r]));
    return out;
  }

  void barrier() override {
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Ibarrier(MPI_COMM_WORLD, &request), "MPI_Ibarrier");
    wait_with_deadline(request, options_.timeout_seconds, rank_, world_, "barrier");
  }

  void abort(int exit_code) override {
    aborted_ = true;
    MPI_Abort(MPI_COMM_WORLD, exit_code);
  }

 private:
  static int checked_count(size_t count) {
    FC_CHECK(count <= static_cast<size_t>(1 << 30), "MPI: ", count, " elements in one collective (split it)");
    return static_cast<int>(count);
  }
  void check(int code, const char* call) const {
    if (code == MPI_SUCCESS) return;
    char message[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, message, &length);
    throw Error(str_cat(call, " on rank ", rank_, " of ", world_, ": ", std::string(message, length)));
  }

  CommunicatorOptions options_;
  int rank_ = 0, world_ = 1;
  bool aborted_ = false;
};

}  // namespace

std::unique_ptr<Communicator> open_mpi_communicator(const CommunicatorOptions& options) {
  return std::make_unique<MpiCommunicator>(options);
}

}  // namespace fc::dist
