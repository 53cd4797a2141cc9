// The child of the coalescing kill -9 test. It writes to a SQLite file through a
// CoalescingTracker (system clock, background flusher) as fast as it can,
// forever, and prints one line per acknowledged call, after the call returned.
// Every line is one write(2), so a line is either whole or absent when the parent
// kills us.
//
//   coalescing_worker PATH SEED WINDOW_MS
//     "ready"                          once the store is open
//     "S <id>"                         started
//     "P <id> <n> <ns>"                update_progress with percent n % 100 and
//                                      progress.current n (1, 2, 3 … per operation)
//                                      returned at system_clock time <ns> or before
//     "E <id> <sequence> <key>"        add_event returned this event
//     "H <id>"                         heartbeat returned
//     "C <id>"                         request_cancel returned
//     "D <id> <status> <n>"            complete returned; n = the last P for it (0: none)
//     "F <ns>"                         the flusher finished a pass started at <ns>: all
//                                      pending writes due by then are in the file
//     "X <id> <message>"               a pending write was dropped (must not happen)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "incursa/platform/operations/coalescing_tracker.hpp"
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

std::string nanos(Timestamp t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown";
  }
}

int run(const std::string& path, unsigned seed, int window_ms) {
  auto store = SqliteStore::open_uri("sqlite:" + path);
  auto tracker = std::make_shared<Tracker>(store);
  CoalescingOptions options;
  options.window = std::chrono::milliseconds(window_ms);
  options.on_flushed = [](Timestamp at) { say("F " + nanos(at)); };
  options.on_dropped = [](const OperationId& id, const std::exception_ptr& error) {
    say("X " + id.value() + " " + describe(error));
  };
  CoalescingTracker coalescing(tracker, std::move(options));

  std::mt19937 rng(seed);
  struct Live {
    std::int64_t n = 0;
    bool cancel_requested = false;
  };
  std::map<std::string, Live> live;
  say("ready");
  // Bursts of calls on one operation at a time, over many operations: an
  // operation often sits idle with progress pending, so the flusher (not a later
  // call on it) has to write it.
  std::map<std::string, Live>::iterator it = live.end();
  unsigned burst = 0;
  for (;;) {
    if (live.size() < 32 || rng() % 100 == 0) {
      const auto s = coalescing.start("Coalesce.Crash");
      live[s.id.value()] = Live{};
      say("S " + s.id.value());
      it = live.end();
      continue;
    }
    if (it == live.end() || burst == 0) {
      it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      burst = 1 + rng() % 12;
    }
    --burst;
    const OperationId id = OperationId::parse(it->first);
    Live& op = it->second;
    const unsigned choice = rng() % 100;
    if (choice < 80) {
      const std::int64_t n = op.n + 1;
      ProgressUpdate update;
      update.percent = static_cast<double>(n % 100);
      update.progress = StructuredProgress{n, std::nullopt, "steps"};
      coalescing.update_progress(id, update);
      const Timestamp acknowledged = std::chrono::system_clock::now();
      op.n = n;
      say("P " + id.value() + " " + std::to_string(n) + " " + nanos(acknowledged));
    } else if (choice < 88) {
      const auto e = coalescing.add_event(id, "step", "n" + std::to_string(op.n));
      say("E " + id.value() + " " + std::to_string(e.sequence) + " " + e.key);
    } else if (choice < 94) {
      coalescing.heartbeat(id);
      say("H " + id.value());
    } else if (choice < 96 && !op.cancel_requested) {
      coalescing.request_cancel(id, "crash test");
      op.cancel_requested = true;
      say("C " + id.value());
    } else {
      const OperationStatus statuses[] = {OperationStatus::Succeeded, OperationStatus::Failed,
                                          OperationStatus::Canceled};
      const auto s = coalescing.complete(id, statuses[rng() % 3], "finished");
      say("D " + id.value() + " " + std::string(to_string(s.status)) + " " + std::to_string(op.n));
      live.erase(it);
      it = live.end();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: coalescing_worker PATH SEED WINDOW_MS\n");
    return 2;
  }
  try {
    return run(argv[1], static_cast<unsigned>(std::stoul(argv[2])), std::stoi(argv[3]));
  } catch (const std::exception& e) {
    say(std::string("error ") + e.what());
    return 1;
  }
}
