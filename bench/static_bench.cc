// bench/static: the static triage pipeline over a corpus of >= 5,000 files, against running
// sha256sum, ssdeep and yara (the same rules) one after another over the same corpus; and
// clustering 20,000 TLSH hashes against all-pairs `ssdeep -d` over the same samples.
//
//   mitsu_bench_static [--files N] [--cluster N] [--dir DIR] [--elf-corpus DIR]
//
// The corpus: variants of synthetic family fixtures and of real libraries (Debian's cross
// libcs, when --elf-corpus points at scripts/fetch-elf-corpus.sh's output), each with a few
// random bytes changed so that every file is distinct.

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "analysis/cluster/tlsh_index.h"
#include "analysis/static/static_analyzer.h"
#include "bench_support.h"
#include "core/file_io.h"
#include "testing/sample_fixtures.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using mitsu::testing::fake_elf;
using mitsu::testing::string_table;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

using mitsu::bench::die;

std::vector<std::byte> read_file(const fs::path& path) {
  std::vector<std::byte> out;
  if (mitsu::Status read = mitsu::read_file_into(path, 1ULL << 30, out); !read) {
    die(read.error());
  }
  return out;
}

std::vector<std::vector<std::byte>> bases(const fs::path& elf_corpus, std::mt19937& random) {
  std::vector<std::vector<std::byte>> out;
  const std::vector<std::vector<std::string>> tables{
      {"/dev/watchdog", "/proc/net/tcp", "/bin/busybox", "xc3511", "HAKAI"},
      {"GETLOCALIP", "SCANNER ON", "SCANNER OFF", "KILLATTK", "LOLNOGTFO"},
      {"NOTICE %s :", "PRIVMSG %s :", "NICK %s", "KAITEN"},
      {"[ss]bot[/ss]", "[hp]", "dht.transmissionbt.com"},
      {"stratum+tcp://pool.example.com:3333", "--donate-level=1"},
      {"hello", "world", "/etc/passwd"}};
  for (const auto& table : tables) {
    for (std::uint8_t key : {0x00, 0x22}) {
      std::string filler(20000 + random() % 40000, ' ');
      for (char& c : filler) {
        c = static_cast<char>(random() & 0xFF);
      }
      out.push_back(fake_elf({}, string_table(table, key) + filler));
    }
  }
  if (fs::exists(elf_corpus)) {
    for (const auto& entry : fs::recursive_directory_iterator(elf_corpus)) {
      if (entry.is_regular_file() && entry.file_size() < 400'000 && entry.file_size() > 4096) {
        out.push_back(read_file(entry.path()));
      }
    }
  }
  return out;
}

// CPU seconds this process has used so far, all threads.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double run(const std::string& command) {
  auto start = Clock::now();
  if (std::system(command.c_str()) != 0) {
    die("failed: " + command);
  }
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t files = 5000;
  std::size_t cluster_samples = 20000;
  fs::path dir = fs::temp_directory_path() / "mitsu-bench-static";
  fs::path elf_corpus = "build/dev/elf-corpus/root";
  bool keep = false;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--keep") {
      keep = true;
      --i;
    } else if (i + 1 == argc) {
      die("missing value for " + flag);
    } else if (flag == "--files") {
      files = std::stoul(argv[i + 1]);
    } else if (flag == "--cluster") {
      cluster_samples = std::stoul(argv[i + 1]);
    } else if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--elf-corpus") {
      elf_corpus = argv[i + 1];
    } else {
      die("usage: mitsu_bench_static [--files N] [--cluster N] [--dir DIR] [--elf-corpus DIR] "
          "[--keep]");
    }
  }
  fs::remove_all(dir);
  fs::create_directories(dir / "corpus");
  std::mt19937 random(42);
  auto base = bases(elf_corpus, random);
  std::uint64_t total_bytes = 0;
  std::vector<fs::path> paths;
  for (std::size_t i = 0; i < files; ++i) {
    std::vector<std::byte> sample = base[i % base.size()];
    for (int m = 0; m < 16; ++m) {
      sample[256 + random() % (sample.size() - 256)] = static_cast<std::byte>(random() & 0xFF);
    }
    paths.push_back(dir / "corpus" / fmt::format("{:06}", i));
    std::ofstream(paths.back(), std::ios::binary)
        .write(reinterpret_cast<const char*>(sample.data()),
               static_cast<std::streamsize>(sample.size()));
    total_bytes += sample.size();
  }
  fmt::print("bench/static: {} files from {} bases, {:.1f} MB\n", files, base.size(),
             total_bytes / 1e6);

  // --- Mitsu: full pipeline per file, one analyser per core ---
  auto rules = mitsu::analysis::FamilyClassifier::load({MITSU_DEFAULT_RULES_DIR});
  if (!rules) {
    die(rules.error());
  }
  std::shared_ptr<const mitsu::analysis::FamilyClassifier> shared(std::move(*rules));
  unsigned threads = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::size_t> classified(threads, 0);
  auto start = Clock::now();
  double cpu_start = cpu_seconds();
  {
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        mitsu::analysis::StaticAnalyzer analyzer(shared);
        std::vector<std::byte> sample;  // read as the analysis worker reads: one buffer reused
        for (std::size_t i = t; i < paths.size(); i += threads) {
          if (mitsu::Status read = mitsu::read_file_into(paths[i], 1ULL << 30, sample); !read) {
            die(read.error());
          }
          auto verdict = analyzer.analyze(sample);
          if (!verdict) {
            die(verdict.error());
          }
          classified[t] += verdict->family.family != mitsu::analysis::kUnclassified;
        }
      });
    }
    for (auto& w : workers) {
      w.join();
    }
  }
  double mitsu_seconds = seconds_since(start);
  double mitsu_cpu = cpu_seconds() - cpu_start;
  std::size_t families = 0;
  for (std::size_t c : classified) {
    families += c;
  }

  // --- Reference: the three tools one after another over the same corpus ---
  std::string corpus = (dir / "corpus").string();
  std::string compiled = (dir / "rules.yarc").string();
  run(fmt::format("yarac {}/*.yar {} >/dev/null", MITSU_DEFAULT_RULES_DIR, compiled));
  double sha = run(fmt::format("find {} -type f -print0 | xargs -0 sha256sum >/dev/null", corpus));
  double fuzzy = run(fmt::format("ssdeep -r {} >/dev/null", corpus));
  double yara = run(fmt::format("yara -C -r {} {} >/dev/null", compiled, corpus));
  double reference = sha + fuzzy + yara;
  fmt::print(
      "  mitsu static pipeline ({} threads): {:7.3f} s  {:8.0f} samples/s  ({} classified, {:.3f} "
      "s "
      "CPU)\n",
      threads, mitsu_seconds, files / mitsu_seconds, families, mitsu_cpu);
  fmt::print("  sha256sum {:.3f} s + ssdeep {:.3f} s + yara {:.3f} s = {:.3f} s\n", sha, fuzzy,
             yara, reference);
  fmt::print("  ratio mitsu/(sha256sum+ssdeep+yara): {:.2f}x (target <= 1.0x)\n",
             mitsu_seconds / reference);

  // --- Clustering: TLSH index vs all-pairs ssdeep -d ---
  fs::create_directories(dir / "cluster");
  std::vector<std::string> tlsh;
  std::string family_base;
  for (std::size_t i = 0; i < cluster_samples; ++i) {
    if (i % 20 == 0) {  // a new family every 20 samples
      family_base.assign(8192, ' ');
      for (char& c : family_base) {
        c = static_cast<char>(random() & 0xFF);
      }
    }
    std::string sample = family_base;
    for (int m = 0; m < 24; ++m) {
      sample[random() % sample.size()] = static_cast<char>(random() & 0xFF);
    }
    std::ofstream(dir / "cluster" / fmt::format("{:06}", i), std::ios::binary) << sample;
    tlsh.push_back(mitsu::analysis::compute_hashes(std::as_bytes(std::span(sample))).tlsh);
  }
  start = Clock::now();
  mitsu::analysis::TlshIndex index;
  for (const std::string& hash : tlsh) {
    index.add(hash);
  }
  auto clusters = index.clusters(100);
  double cluster_seconds = seconds_since(start);
  double ssdeep_all_pairs =
      run(fmt::format("ssdeep -d -r {} >/dev/null", (dir / "cluster").string()));
  std::uint64_t all_pairs = static_cast<std::uint64_t>(cluster_samples) * (cluster_samples - 1) / 2;
  fmt::print(
      "  cluster {} TLSH hashes: {:.3f} s, {} clusters, {} distance computations "
      "({:.3f}% of all pairs)\n",
      cluster_samples, cluster_seconds, clusters.size(), index.comparisons(),
      100.0 * static_cast<double>(index.comparisons()) / static_cast<double>(all_pairs));
  fmt::print("  ssdeep -d all pairs over the same samples: {:.3f} s\n", ssdeep_all_pairs);
  fmt::print("  speed-up vs ssdeep -d: {:.0f}x (target >= 20x)\n",
             ssdeep_all_pairs / cluster_seconds);
  if (!keep) {
    fs::remove_all(dir);
  }
  return 0;
}
