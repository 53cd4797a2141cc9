// The child process of the SQLite multi-process and crash tests. It talks to the
// parent over stdin/stdout, one line per message; every line is written with one
// write(2) call, so a line is either complete or absent when the parent kills us.
//
//   sqlite_worker open PATH
//       prints "ready", waits for a line, opens PATH, prints "opened <schema>" or
//       "error <message>".
//   sqlite_worker hammer PATH THREADS ITERATIONS ID[,ID…] TAG
//       prints "ready", waits for a line; each thread then runs ITERATIONS rounds of
//       add_event + update_progress + heartbeat on every ID (event message
//       "<TAG>.<thread>.<i>"); prints "phase1"; waits for a line; each thread
//       then completes every ID with Succeeded (even threads) or Failed (odd);
//       prints "done rejected=<n>" and exits. Any other exception prints
//       "error <message>" and exits 1.
//   sqlite_worker crash PATH SEED
//       writes as fast as it can, forever, printing one line per acknowledged
//       write (after the call returned):
//         "S <id>"                     started (version 1, one event)
//         "W <id> <version>"           a write that returned this version
//         "E <id> <sequence> <key>"    the event add_event returned
//       Every write it makes appends exactly one event, so for each operation
//       version == number of events (the parent checks this after the kill).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/stores/sqlite_store.hpp"

using namespace incursa::platform;

namespace {

void say(const std::string& line) {
  const std::string data = line + "\n";
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, data.data() + done, data.size() - done);
    if (n <= 0) std::_Exit(3);  // the parent is gone
    done += static_cast<std::size_t>(n);
  }
}

void wait_for_parent() {
  std::string line;
  if (!std::getline(std::cin, line)) std::_Exit(4);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

int run_open(const std::string& path) {
  say("ready");
  wait_for_parent();
  try {
    auto store = SqliteStore::open_uri("sqlite:" + path);
    say("opened " + std::to_string(store->schema_version()));
  } catch (const std::exception& e) {
    say(std::string("error ") + e.what());
    return 1;
  }
  return 0;
}

int run_hammer(const std::string& path, int threads, int iterations, const std::string& id_list,
               const std::string& tag) {
  auto store = SqliteStore::open_uri("sqlite:" + path);
  Tracker tracker(store);
  std::vector<OperationId> ids;
  for (const auto& id : split(id_list, ',')) ids.push_back(OperationId::parse(id));
  say("ready");
  wait_for_parent();

  std::vector<std::string> errors(static_cast<std::size_t>(threads));
  std::vector<int> rejected(static_cast<std::size_t>(threads), 0);
  const auto phase = [&](auto&& body) {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        try {
          body(t);
        } catch (const std::exception& e) {
          errors[static_cast<std::size_t>(t)] = e.what();
        }
      });
    }
    for (auto& thread : pool) thread.join();
    for (const auto& error : errors) {
      if (!error.empty()) {
        say("error " + error);
        std::exit(1);
      }
    }
  };

  phase([&](int t) {
    for (int i = 0; i < iterations; ++i) {
      for (const auto& id : ids) {
        tracker.add_event(id, "hammer", tag + "." + std::to_string(t) + "." + std::to_string(i));
        tracker.update_progress(id, ProgressUpdate{.percent = (i % 100)});
        tracker.heartbeat(id);
      }
    }
  });
  say("phase1");
  wait_for_parent();

  phase([&](int t) {
    const auto status = t % 2 == 0 ? OperationStatus::Succeeded : OperationStatus::Failed;
    for (const auto& id : ids) {
      try {
        tracker.complete(id, status, tag);
      } catch (const InvalidTransitionError&) {
        ++rejected[static_cast<std::size_t>(t)];  // another thread or process won
      }
    }
  });
  int total_rejected = 0;
  for (int r : rejected) total_rejected += r;
  say("done rejected=" + std::to_string(total_rejected));
  return 0;
}

int run_crash(const std::string& path, unsigned seed) {
  auto store = SqliteStore::open_uri("sqlite:" + path);
  Tracker tracker(store);
  std::mt19937 rng(seed);
  struct Live {
    OperationStatus status;
    std::int64_t version;
    bool cancel_requested;
  };
  std::map<std::string, Live> live;
  say("ready");
  for (std::uint64_t n = 0;; ++n) {
    if (live.size() < 8 || rng() % 10 == 0) {
      StartOptions options;
      options.tags = {{"seed", std::to_string(seed)}, {"n", std::to_string(n)}};
      const auto s = tracker.start("Crash.Work", options);
      live[s.id.value()] = Live{s.status, s.version, false};
      say("S " + s.id.value());
      continue;
    }
    auto it = live.begin();
    std::advance(it, static_cast<long>(rng() % live.size()));
    const OperationId id = OperationId::parse(it->first);
    Live& op = it->second;
    const unsigned choice = rng() % 10;
    if (op.status == OperationStatus::Pending && choice < 4) {
      // Pending -> Running: one status event.
      const auto s = tracker.update_progress(
          id, ProgressUpdate{.percent = static_cast<double>(rng() % 100), .message = "moving"});
      op = Live{s.status, s.version, op.cancel_requested};
      say("W " + id.value() + " " + std::to_string(s.version));
    } else if (choice < 7) {
      const auto e = tracker.add_event(id, "step", "n" + std::to_string(n), R"({"n":1})");
      ++op.version;
      say("W " + id.value() + " " + std::to_string(op.version));
      say("E " + id.value() + " " + std::to_string(e.sequence) + " " + e.key);
    } else if (choice < 8 && !op.cancel_requested) {
      const auto s = tracker.request_cancel(id, "crash test");
      op = Live{s.status, s.version, true};
      say("W " + id.value() + " " + std::to_string(s.version));
    } else {
      const OperationStatus statuses[] = {OperationStatus::Succeeded, OperationStatus::Failed,
                                          OperationStatus::Canceled};
      const auto s = tracker.complete(id, statuses[rng() % 3], "finished");
      say("W " + id.value() + " " + std::to_string(s.version));
      live.erase(it);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "open") return run_open(args[1]);
    if (args.size() == 6 && args[0] == "hammer") {
      return run_hammer(args[1], std::stoi(args[2]), std::stoi(args[3]), args[4], args[5]);
    }
    if (args.size() == 3 && args[0] == "crash") {
      return run_crash(args[1], static_cast<unsigned>(std::stoul(args[2])));
    }
  } catch (const std::exception& e) {
    say(std::string("error ") + e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: sqlite_worker open PATH | hammer PATH THREADS ITERATIONS IDS TAG | "
               "crash PATH SEED\n");
  return 2;
}
