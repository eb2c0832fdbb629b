// bench/sandbox: samples per hour through the sandbox on this machine with a 30-second budget per
// sample and the default parallelism, and the per-CPU cost of a run. The samples are the
// behaviour fixtures (documentation addresses only); the whole bench runs in a network namespace
// of its own. Usage (root): mitsu_bench_sandbox [FIXTURE_DIR] [ROUNDS=2]

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "analysis/sandbox/sandbox_runner.h"
#include "analysis/sandbox_worker.h"
#include "bench_support.h"

using namespace mitsu;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  fs::path fixtures = argc > 1 ? argv[1] : MITSU_SANDBOX_FIXTURE_DIR;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 2;
  if (geteuid() != 0) {
    bench::die("the sandbox needs root");
  }
  if (unshare(CLONE_NEWNET) != 0) {  // a second wall around every sandbox
    bench::die("cannot make the outer network namespace");
  }
  std::vector<fs::path> samples;
  for (const auto& entry : fs::directory_iterator(fixtures)) {
    std::string name = entry.path().filename();
    if (name.rfind("behaviour.", 0) == 0) {
      samples.push_back(entry.path());
    }
  }
  std::sort(samples.begin(), samples.end());
  if (samples.empty()) {
    bench::die(fmt::format("no behaviour fixtures in {}", fixtures.string()));
  }
  analysis::SandboxWorkerOptions defaults;  // the default parallelism
  analysis::sandbox::SandboxOptions options;
  options.time_limit = std::chrono::seconds(30);
  options.work_dir = "/tmp/mitsu-bench-sandbox";

  std::vector<fs::path> queue;
  for (int r = 0; r < rounds; ++r) {
    queue.insert(queue.end(), samples.begin(), samples.end());
  }
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::map<std::string, std::vector<double>> seconds_by_cpu;
  std::size_t failed = 0;
  auto started = Clock::now();
  std::vector<std::thread> threads;
  for (unsigned slot = 0; slot < defaults.parallel; ++slot) {
    threads.emplace_back([&, slot] {
      for (std::size_t i; (i = next++) < queue.size();) {
        auto t0 = Clock::now();
        auto run = analysis::sandbox::run_in_sandbox(
            queue[i], options.work_dir / "out" / fmt::format("{}-{}", slot, i), options,
            static_cast<int>(slot));
        double s = std::chrono::duration<double>(Clock::now() - t0).count();
        std::lock_guard lock(mutex);
        if (!run || run->report["exit"]["reason"] != "finished") {
          ++failed;
          fmt::print("{}: {}\n", queue[i].filename().string(),
                     run ? run->report["exit"].dump() : run.error());
          continue;
        }
        std::string name = queue[i].filename();
        std::string cpu = name.substr(10, name.find('.', 10) - 10);
        seconds_by_cpu[cpu + (name.find("dynamic") != std::string::npos ? " dynamic" : " static")]
            .push_back(s);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  fmt::print(
      "{} sandbox runs ({} fixtures x {} rounds), parallelism {}, budget 30 s each: "
      "{:.1f} s -> {:.0f} samples/hour (target >= 120); {} did not finish\n",
      queue.size(), samples.size(), rounds, defaults.parallel, elapsed,
      static_cast<double>(queue.size()) / elapsed * 3600, failed);
  fmt::print("\n{:<20} {:>10}\n", "CPU", "s per run");
  for (auto& [cpu, times] : seconds_by_cpu) {
    std::sort(times.begin(), times.end());
    fmt::print("{:<20} {:>10.2f}\n", cpu, times[times.size() / 2]);
  }
  std::error_code ec;
  fs::remove_all(options.work_dir, ec);
  return failed == 0 ? 0 : 1;
}
