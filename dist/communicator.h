// Communicator: what data-parallel training and sharded inference need from a message-passing
// engine (sums over every process, a gather to rank 0, abort), behind an interface with two
// implementations: LocalCommunicator (one process, nothing to exchange) and MPI's (only in
// builds where CMake found MPI: FC_HAVE_MPI). The rest of the project never includes <mpi.h>.
//
//   std::unique_ptr<Communicator> comm = open_communicator({.timeout_seconds = 300});
//   std::vector<float> grad = ...;
//   auto pending = comm->start_sum(grad.data(), grad.size());   // runs while we compute on
//   pending->wait();                                             // grad = sum over processes
//   if (comm->rank() == 0) write_checkpoint();
//
// Every collective is non-blocking underneath and waited for with a deadline: when a peer has
// died or hangs, the others throw fc::Error ("... made no progress for 300 s ...") instead of
// waiting forever; the CLI then calls abort() so the launcher stops the whole job.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace fc::dist {

// A collective in flight. wait() returns once it is complete (throws on timeout); test() only
// drives progress and says whether it is complete (MPI progresses non-blocking collectives only
// inside MPI calls, so the backward pass calls test() between gradients to overlap them).
class PendingSum {
 public:
  virtual ~PendingSum() = default;
  virtual bool test() = 0;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string describe() const = 0;  // "MPI, rank 0 of 2" / "single process"

  // data (count) <- its sum over every process, in place; read it only after wait().
  virtual std::unique_ptr<PendingSum> start_sum(float* data, size_t count) = 0;
  // data (count) <- its sum over every process (blocking; SyncBN statistics, loss logging).
  virtual void sum(double* data, size_t count) = 0;
  // Rank 0 gets every process's text in rank order; the others get an empty vector.
  virtual std::vector<std::string> gather(const std::string& text) = 0;
  virtual void barrier() = 0;
  // Ends every process of the job (after an error on one rank); returns only when single-process.
  virtual void abort(int exit_code) = 0;
};

class LocalCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::string describe() const override { return "single process"; }
  std::unique_ptr<PendingSum> start_sum(float* data, size_t count) override;
  void sum(double* data, size_t count) override {}
  std::vector<std::string> gather(const std::string& text) override { return {text}; }
  void barrier() override {}
  void abort(int exit_code) override {}
};

struct CommunicatorOptions {
  // A collective that has not completed this long after we started waiting for it means a peer
  // died or hangs. Rank 0 alone writes checkpoints and evaluates while the others wait in the
  // next step's first collective, so this must exceed the longest of those.
  double timeout_seconds = 600;
};

// True when this build has MPI support (CMake found MPI).
bool built_with_mpi();
// True when this process was started by an MPI launcher (mpirun/mpiexec/srun set its variables).
bool launched_by_mpi();
// MPI's communicator (MPI_Init here, MPI_Finalize in its destructor) when built with MPI and
// started by a launcher; otherwise a LocalCommunicator. Throws when started by a launcher with
// several processes in a build without MPI (each would silently train alone).
std::unique_ptr<Communicator> open_communicator(const CommunicatorOptions& options = {});

}  // namespace fc::dist
