// The child process of the PostgreSQL multi-process tests. It talks to the parent
// over stdin/stdout, one line per message; each line goes out in one write(2).
// URI is a postgresql:// URI including ?schema=….
//
//   postgres_worker open URI
//       prints "ready", waits for a line, opens the store (migrating a new
//       schema), prints "opened <schema version>".
//   postgres_worker hammer URI THREADS ITERATIONS ID[,ID…] CONTESTED[,…] TAG
//       prints "ready", waits for a line; each thread runs ITERATIONS rounds of
//       update_progress + add_event (message "<TAG>.<thread>.<i>") + heartbeat on
//       every ID, and halfway through heartbeats CONTESTED[thread] once; prints
//       "phase1"; waits for a line; each thread completes every ID with Succeeded
//       (even threads) or Failed (odd); prints "done rejected=<n>".
//   postgres_worker monitor URI THRESHOLD_SECONDS
//       prints "ready", waits for a line, then scans (find_stale, 20 at a time)
//       and marks (mark_stalled with the scan's cutoff) until a scan finds
//       nothing; prints "done marked=<n>".
//   postgres_worker start URI ROUNDS
//       prints "ready"; for each round reads "go <id>", starts operation <id>
//       named Race.Start and prints "started <started_at µs> <version>".
//   postgres_worker writer URI THREADS TAG
//       prints "ready", waits for a line; each thread starts its own operation
//       and then writes until the parent sends "stop", printing after each call:
//         "S <id>"                    started
//         "E <id> <sequence> <key> <message>"  add_event acknowledged
//         "W <id> <version>"          update_progress acknowledged
//         "R <retryable error>"       a StoreError with retryable() == true
//       and finally "done". A non-retryable error prints "X <message>", exits 1.
// Any unexpected exception prints "error <message>" and exits 1.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/stores/postgres_store.hpp"

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

std::string next_line() {
  std::string line;
  if (!std::getline(std::cin, line)) std::_Exit(4);
  return line;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

std::int64_t micros(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

int open_command(const std::string& uri) {
  say("ready");
  next_line();
  const auto store = PostgresStore::open_uri(uri);
  say("opened " + std::to_string(store->schema_version()));
  return 0;
}

int hammer_command(const std::string& uri, int threads, int iterations,
                   const std::vector<std::string>& ids, const std::vector<std::string>& contested,
                   const std::string& tag) {
  Tracker tracker(PostgresStore::open_uri(uri));
  say("ready");
  next_line();
  auto run_threads = [&](auto body) {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(body, t);
    for (auto& th : pool) th.join();
  };
  run_threads([&](int t) {
    for (int i = 0; i < iterations; ++i) {
      if (i == iterations / 2 && static_cast<std::size_t>(t) < contested.size()) {
        tracker.heartbeat(OperationId::parse(contested[static_cast<std::size_t>(t)]));
      }
      for (const auto& id_text : ids) {
        const OperationId id = OperationId::parse(id_text);
        tracker.update_progress(id, ProgressUpdate{.percent = static_cast<double>(i % 100)});
        tracker.add_event(id, "hammer", tag + "." + std::to_string(t) + "." + std::to_string(i));
        tracker.heartbeat(id);
      }
    }
  });
  say("phase1");
  next_line();
  std::atomic<int> rejected{0};
  run_threads([&](int t) {
    for (const auto& id_text : ids) {
      try {
        tracker.complete(OperationId::parse(id_text),
                         t % 2 == 0 ? OperationStatus::Succeeded : OperationStatus::Failed);
      } catch (const InvalidTransitionError&) {
        rejected.fetch_add(1);
      }
    }
  });
  say("done rejected=" + std::to_string(rejected.load()));
  return 0;
}

int monitor_command(const std::string& uri, int threshold_seconds) {
  auto store = PostgresStore::open_uri(uri);
  Tracker tracker(store);
  say("ready");
  next_line();
  int marked = 0;
  for (;;) {
    StaleQuery query;
    query.cutoff = std::chrono::system_clock::now() - std::chrono::seconds(threshold_seconds);
    query.limit = 20;
    const auto found = store->find_stale(query);
    if (found.empty()) break;
    for (const auto& op : found) {
      if (tracker.mark_stalled(op.id, StaleCondition{ActivityBasis::Activity, query.cutoff})) {
        ++marked;
      }
    }
  }
  say("done marked=" + std::to_string(marked));
  return 0;
}

int start_command(const std::string& uri, int rounds) {
  auto store = PostgresStore::open_uri(uri);
  Tracker tracker(store);
  (void)store->get(OperationId::parse("warm-up"));  // the connection is open before the race
  say("ready");
  for (int r = 0; r < rounds; ++r) {
    const auto words = split(next_line(), ' ');
    if (words.size() != 2 || words[0] != "go") {
      say("error bad command");
      return 1;
    }
    StartOptions options;
    options.id = OperationId::parse(words[1]);
    const OperationSnapshot s = tracker.start("Race.Start", options);
    say("started " + std::to_string(micros(s.started_at)) + " " + std::to_string(s.version));
  }
  return 0;
}

int writer_command(const std::string& uri, int threads, const std::string& tag) {
  Tracker tracker(PostgresStore::open_uri(uri));
  say("ready");
  next_line();
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::thread listener([&] {
    next_line();  // "stop"
    stop.store(true);
  });
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::optional<OperationId> id;
      for (long i = 0; !stop.load() && !failed.load(); ++i) {
        try {
          if (!id) {
            id = tracker.start("Restart.Writer").id;
            say("S " + id->value());
            continue;
          }
          if (i % 3 == 0) {
            const auto s = tracker.update_progress(*id, ProgressUpdate{.percent = 1.0});
            say("W " + id->value() + " " + std::to_string(s.version));
          } else {
            const std::string message = tag + "." + std::to_string(t) + "." + std::to_string(i);
            const OperationEvent e = tracker.add_event(*id, "w", message);
            say("E " + id->value() + " " + std::to_string(e.sequence) + " " + e.key + " " +
                message);
          }
        } catch (const StoreError& e) {
          if (!e.retryable()) {
            say(std::string("X ") + e.what());
            failed.store(true);
          } else {
            say(std::string("R ") + e.what());
          }
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  if (failed.load()) std::_Exit(1);  // the listener still waits on stdin
  listener.join();
  say("done");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "open") return open_command(args[1]);
    if (args.size() == 7 && args[0] == "hammer") {
      return hammer_command(args[1], std::stoi(args[2]), std::stoi(args[3]), split(args[4], ','),
                            split(args[5], ','), args[6]);
    }
    if (args.size() == 3 && args[0] == "monitor")
      return monitor_command(args[1], std::stoi(args[2]));
    if (args.size() == 3 && args[0] == "start") return start_command(args[1], std::stoi(args[2]));
    if (args.size() == 4 && args[0] == "writer") {
      return writer_command(args[1], std::stoi(args[2]), args[3]);
    }
  } catch (const std::exception& e) {
    say(std::string("error ") + e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: see the comment at the top of pg_worker.cpp\n");
  return 2;
}
