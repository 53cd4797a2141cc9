// A VFS that is the platform's default one, except that writes to a WAL file
// are gathered in memory and reach the OS in one write, when SQLite syncs the
// file or reads, sizes, truncates or closes it.
//
// Why: SQLite writes each WAL frame with two write() calls (its 24-byte header,
// then the page), so a group commit of 32 calls, some 25 pages, made ~50 system
// calls before its fsync; in a VM each costs microseconds, all of them on the
// writer's critical path. Gathered, a commit makes one.
//
// Why it is safe: with synchronous=FULL SQLite syncs the WAL at every commit
// before it publishes the new frames in the wal-index, so no other connection
// (of this process or another) is told about a frame that is still in our
// buffer. Without a sync at commit (synchronous=NORMAL or OFF) that order does not
// hold, so connections opened that way must not use this VFS. A crash loses
// what was buffered; nothing buffered was acknowledged, as nothing unsynced was
// durable before. A connection's buffer holds at most 4 MiB (a bigger
// transaction goes out in 4 MiB pieces) and keeps at most 1 MiB between commits.
//
// Thread safety: a file is used by one connection at a time (SQLite's contract
// for a VFS); wal_gathering_vfs() may be called from any thread.
#pragma once

#include <sqlite3.h>

namespace incursa::platform::sqlite {

// Registers the VFS over SQLite's default one on first use (never as the
// default) and returns its name, for sqlite3_open_v2; null if it could not be
// registered (the default VFS then serves: gathering only saves time).
const char* wal_gathering_vfs() noexcept;

// Registers, under `name` (which must outlive it), a gathering VFS over `base`.
// False if `base` is null or SQLite refuses the registration.
bool register_wal_gathering_vfs(const char* name, sqlite3_vfs* base) noexcept;

}  // namespace incursa::platform::sqlite
