#include "sqlite_wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <vector>

// sqlite3_database_file_object() tells a WAL's VFS about its main database.
#if SQLITE_VERSION_NUMBER < 3032000
#error "the SQLite store needs SQLite 3.32.0 or later"
#endif

namespace incursa::platform::sqlite {

namespace {

constexpr const char* kVfsName = "incursa-wal-gather";
// Past this many buffered bytes a write goes out at once (a transaction that big
// gains nothing more from gathering).
constexpr std::size_t kMaxGathered = 4 << 20;

// A WAL file's writes not yet handed to the OS. Constructed in xOpen and
// destroyed in xClose: SQLite only zeroes and frees the memory it allocates.
struct Gathered {
  std::vector<char> bytes;
  sqlite3_int64 offset = 0;  // of bytes[0] in the file
};

// What SQLite allocates for each open file: our header, then the wrapped VFS's
// own file object (at `real`).
struct File {
  sqlite3_file base;  // first: SQLite reads pMethods from here
  sqlite3_file* real;
  Gathered* gathered;  // null unless this is a WAL file
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

// The most one write to the wrapped file may carry: the unix VFS keeps only the
// low 17 bits of a write's length (SQLite itself never writes more than a page).
constexpr std::size_t kMaxWrite = 31 * 4096;

// Hands the gathered bytes to the OS. The buffer is emptied either way: after a
// failed write SQLite abandons the transaction, and the frames past its last
// commit are ignored when the WAL is read.
int flush(File* f) {
  Gathered* g = f->gathered;
  if (g == nullptr || g->bytes.empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < g->bytes.size() && rc == SQLITE_OK; done += kMaxWrite) {
    const std::size_t n = std::min(kMaxWrite, g->bytes.size() - done);
    rc = f->real->pMethods->xWrite(f->real, g->bytes.data() + done, static_cast<int>(n),
                                   g->offset + static_cast<sqlite3_int64>(done));
  }
  // The capacity stays (at most kMaxGathered): a bulk write that freed and
  // regrew it each time spent more on page faults and copies than on SQLite.
  g->bytes.clear();
  return rc;
}

int x_close(sqlite3_file* file) {
  File* f = reinterpret_cast<File*>(file);
  const int flushed = flush(f);
  delete f->gathered;
  f->gathered = nullptr;
  const int rc = f->real->pMethods->xClose(f->real);
  return flushed != SQLITE_OK ? flushed : rc;
}

// Every method that looks at the file's contents or size, or makes it durable,
// first hands the gathered bytes to the OS, then does what the wrapped file does.
template <class Call>
int flushed_then(sqlite3_file* file, Call&& call) {
  File* f = reinterpret_cast<File*>(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return call(f->real);
}

int x_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  return flushed_then(file,
                      [&](sqlite3_file* r) { return r->pMethods->xRead(r, out, amount, offset); });
}

int x_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = reinterpret_cast<File*>(file);
  Gathered* g = f->gathered;
  if (g == nullptr) return f->real->pMethods->xWrite(f->real, data, amount, offset);
  const auto size = static_cast<std::size_t>(amount);
  const bool follows =
      !g->bytes.empty() && offset == g->offset + static_cast<sqlite3_int64>(g->bytes.size());
  if (!follows || g->bytes.size() + size > kMaxGathered) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    g->offset = offset;
  }
  try {
    const char* begin = static_cast<const char*>(data);
    g->bytes.insert(g->bytes.end(), begin, begin + size);
  } catch (const std::bad_alloc&) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    return f->real->pMethods->xWrite(f->real, data, amount, offset);
  }
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  return flushed_then(file, [&](sqlite3_file* r) { return r->pMethods->xTruncate(r, size); });
}

int x_sync(sqlite3_file* file, int flags) {
  return flushed_then(file, [&](sqlite3_file* r) { return r->pMethods->xSync(r, flags); });
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  return flushed_then(file, [&](sqlite3_file* r) { return r->pMethods->xFileSize(r, size); });
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  return flushed_then(file, [&](sqlite3_file* r) { return r->pMethods->xFileControl(r, op, arg); });
}

// The rest only forward: locks and shared memory concern the file, not the
// bytes in flight.
int x_lock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xLock(real_of(f), level); }
int x_unlock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int x_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int x_device_characteristics(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), offset, amount, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), offset, page);
}

// One table per version of the wrapped file's methods: a method the wrapped
// file lacks must be absent (null) here too, and SQLite decides that by iVersion.
sqlite3_io_methods methods_for(int version) {
  sqlite3_io_methods m{};
  m.iVersion = version;
  m.xClose = x_close;
  m.xRead = x_read;
  m.xWrite = x_write;
  m.xTruncate = x_truncate;
  m.xSync = x_sync;
  m.xFileSize = x_file_size;
  m.xLock = x_lock;
  m.xUnlock = x_unlock;
  m.xCheckReservedLock = x_check_reserved_lock;
  m.xFileControl = x_file_control;
  m.xSectorSize = x_sector_size;
  m.xDeviceCharacteristics = x_device_characteristics;
  if (version >= 2) {
    m.xShmMap = x_shm_map;
    m.xShmLock = x_shm_lock;
    m.xShmBarrier = x_shm_barrier;
    m.xShmUnmap = x_shm_unmap;
  }
  if (version >= 3) {
    m.xFetch = x_fetch;
    m.xUnfetch = x_unfetch;
  }
  return m;
}

const sqlite3_io_methods kMethods[3] = {methods_for(1), methods_for(2), methods_for(3)};

// Whether SQLite writes a commit to the WAL named `wal_name` without padding it
// to a sector. With padding (a database without powersafe overwrite) it writes
// the padding past the sector boundary after its sync and before it publishes
// the frames: bytes that must not wait in a buffer. SQLite decides by the main
// database file's characteristics (a URI's psow=0 applies to it alone).
bool commits_unpadded(const char* wal_name) {
  sqlite3_file* db = sqlite3_database_file_object(wal_name);
  return db != nullptr && db->pMethods != nullptr &&
         (db->pMethods->xDeviceCharacteristics(db) & SQLITE_IOCAP_POWERSAFE_OVERWRITE) != 0;
}

int x_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* real_vfs = static_cast<sqlite3_vfs*>(vfs->pAppData);
  File* f = reinterpret_cast<File*>(file);
  f->base.pMethods = nullptr;  // until the wrapped file is open: SQLite then skips xClose
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->gathered = nullptr;
  const int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK || f->real->pMethods == nullptr) return rc;
  const int version = f->real->pMethods->iVersion;
  if (version < 1 || version > 3) {
    f->real->pMethods->xClose(f->real);
    return SQLITE_CANTOPEN;
  }
  if ((flags & SQLITE_OPEN_WAL) != 0 && commits_unpadded(name)) {
    f->gathered = new (std::nothrow) Gathered();  // none: writes go straight through
  }
  f->base.pMethods = &kMethods[version - 1];
  return SQLITE_OK;
}

// The VFS's other methods are the wrapped VFS's, called with it.
sqlite3_vfs* real(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }
int x_delete(sqlite3_vfs* v, const char* name, int sync_dir) {
  return real(v)->xDelete(real(v), name, sync_dir);
}
int x_access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return real(v)->xAccess(real(v), name, flags, out);
}
int x_full_pathname(sqlite3_vfs* v, const char* name, int size, char* out) {
  return real(v)->xFullPathname(real(v), name, size, out);
}
void* x_dl_open(sqlite3_vfs* v, const char* name) { return real(v)->xDlOpen(real(v), name); }
void x_dl_error(sqlite3_vfs* v, int size, char* out) { real(v)->xDlError(real(v), size, out); }
void (*x_dl_sym(sqlite3_vfs* v, void* handle, const char* symbol))(void) {
  return real(v)->xDlSym(real(v), handle, symbol);
}
void x_dl_close(sqlite3_vfs* v, void* handle) { real(v)->xDlClose(real(v), handle); }
int x_randomness(sqlite3_vfs* v, int size, char* out) {
  return real(v)->xRandomness(real(v), size, out);
}
int x_sleep(sqlite3_vfs* v, int micros) { return real(v)->xSleep(real(v), micros); }
int x_current_time(sqlite3_vfs* v, double* out) { return real(v)->xCurrentTime(real(v), out); }
int x_get_last_error(sqlite3_vfs* v, int size, char* out) {
  return real(v)->xGetLastError(real(v), size, out);
}
int x_current_time_int64(sqlite3_vfs* v, sqlite3_int64* out) {
  return real(v)->xCurrentTimeInt64(real(v), out);
}

sqlite3_vfs make_vfs(sqlite3_vfs* base) {
  sqlite3_vfs v{};
  v.iVersion = base->iVersion >= 2 ? 2 : 1;  // version 3's system-call hooks are not forwarded
  v.szOsFile = static_cast<int>(sizeof(File)) + base->szOsFile;
  v.mxPathname = base->mxPathname;
  v.pAppData = base;
  v.xOpen = x_open;
  v.xDelete = x_delete;
  v.xAccess = x_access;
  v.xFullPathname = x_full_pathname;
  v.xDlOpen = x_dl_open;
  v.xDlError = x_dl_error;
  v.xDlSym = x_dl_sym;
  v.xDlClose = x_dl_close;
  v.xRandomness = x_randomness;
  v.xSleep = x_sleep;
  v.xCurrentTime = x_current_time;
  v.xGetLastError = x_get_last_error;
  if (v.iVersion >= 2) v.xCurrentTimeInt64 = x_current_time_int64;
  return v;
}

}  // namespace

bool register_wal_gathering_vfs(const char* name, sqlite3_vfs* base) noexcept {
  if (base == nullptr) return false;
  // Never freed: SQLite keeps the pointer, and connections may use it until exit.
  auto* vfs = new (std::nothrow) sqlite3_vfs(make_vfs(base));
  if (vfs == nullptr) return false;
  vfs->zName = name;
  if (sqlite3_vfs_register(vfs, 0) != SQLITE_OK) {
    delete vfs;
    return false;
  }
  return true;
}

const char* wal_gathering_vfs() noexcept {
  static const bool registered = register_wal_gathering_vfs(kVfsName, sqlite3_vfs_find(nullptr));
  return registered ? kVfsName : nullptr;
}

}  // namespace incursa::platform::sqlite
