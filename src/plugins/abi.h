/* The stasis storage plugin ABI, version 1.
 *
 * A plugin is a shared object exporting one C function,
 *     const stasis_plugin_v1* stasis_plugin_entry_v1(void);
 * The daemon dlopen()s enabled plugins from its plugin directory, calls it,
 * checks abi_version, and registers `scheme` with the storage registry.
 *
 * Compatibility: plain C types only, so a plugin built by another compiler
 * (or another stasis release with the same ABI version) loads. Fields are
 * only ever appended; `struct_size` tells the daemon which ones exist. An
 * incompatible change bumps STASIS_PLUGIN_ABI_VERSION and the symbol name.
 *
 * Errors: every call that can fail returns 0 on success or a stasis status
 * code (see common/status.h StatusCode) and fills `err` (one sentence, never
 * a secret) through err_set. Threading: a storage handle is used from many
 * threads at once; writer and reader handles from one thread at a time. */
#ifndef STASIS_PLUGINS_ABI_H_
#define STASIS_PLUGINS_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STASIS_PLUGIN_ABI_VERSION 1

/* Opaque handles owned by the plugin. */
typedef struct stasis_storage stasis_storage;
typedef struct stasis_writer stasis_writer;
typedef struct stasis_reader stasis_reader;

/* An error sink owned by the daemon: the plugin calls set(ctx, message). */
typedef struct stasis_error {
  void (*set)(void* ctx, const char* message);
  void* ctx;
} stasis_error;

typedef struct stasis_object_info {
  const char* location; /* full location */
  const char* name;     /* last path component */
  uint64_t size;
  int64_t mtime; /* unix seconds */
  int is_dir;    /* a common prefix */
} stasis_object_info;

/* Called once per listed entry; return non-zero to stop early. */
typedef int (*stasis_list_fn)(void* ctx, const stasis_object_info* info);

typedef struct stasis_plugin_v1 {
  uint32_t struct_size; /* sizeof(stasis_plugin_v1) as the plugin was built */
  uint32_t abi_version; /* STASIS_PLUGIN_ABI_VERSION */
  const char* name;     /* "storage/s3" */
  const char* version;  /* the plugin's own version, e.g. "0.1.0" */
  const char* scheme;   /* URI scheme it serves: "s3" */
  const char* description;

  /* config_json: the daemon's "aws" config section as JSON (secrets included;
   * the plugin must never log them). */
  int (*storage_open)(const char* config_json, stasis_storage** out, stasis_error* err);
  void (*storage_close)(stasis_storage* s);

  int (*writer_open)(stasis_storage* s, const char* location, stasis_writer** out,
                     stasis_error* err);
  int (*writer_append)(stasis_writer* w, const void* data, size_t size, stasis_error* err);
  int (*writer_commit)(stasis_writer* w, stasis_error* err);
  void (*writer_abort)(stasis_writer* w);
  uint64_t (*writer_bytes)(stasis_writer* w);
  void (*writer_close)(stasis_writer* w); /* aborts if not committed */

  int (*reader_open)(stasis_storage* s, const char* location, stasis_reader** out,
                     stasis_error* err);
  /* Reads up to size bytes into buf; *got = 0 at end of object. */
  int (*reader_read)(stasis_reader* r, void* buf, size_t size, size_t* got, stasis_error* err);
  uint64_t (*reader_size)(stasis_reader* r);
  void (*reader_close)(stasis_reader* r);

  int (*list)(stasis_storage* s, const char* dir, stasis_list_fn fn, void* ctx, stasis_error* err);
  int (*stat)(stasis_storage* s, const char* location, stasis_list_fn fn, void* ctx,
              stasis_error* err); /* calls fn once */
  int (*remove)(stasis_storage* s, const char* location, stasis_error* err);
  int (*check_writable)(stasis_storage* s, const char* dir, stasis_error* err);

  /* Health: calls fn(ctx, name, state, detail) per check; state is "ok",
   * "warn" or "error". bucket_location may be NULL. */
  void (*health)(stasis_storage* s, const char* bucket_location,
                 void (*fn)(void* ctx, const char* name, const char* state, const char* detail),
                 void* ctx);

  /* Appended (check struct_size): reads exactly `size` bytes at `offset` of
   * an object into buf, for streamed checkpoints' random access. */
  int (*read_range)(stasis_storage* s, const char* location, uint64_t offset, size_t size,
                    void* buf, stasis_error* err);
  /* Appended (check struct_size): removes what unfinished writes left at or
   * under `location` (open multipart uploads); committed objects stay. */
  int (*remove_incomplete)(stasis_storage* s, const char* location, stasis_error* err);
  /* Appended (check struct_size): bytes of the writer's object the storage
   * has acknowledged (S3: parts the server confirmed). Unlike the other
   * writer calls, it may be called from any thread while another appends. */
  uint64_t (*writer_bytes_stored)(stasis_writer* w);
} stasis_plugin_v1;

/* The size of the first published layout; fields after it are optional. */
#define STASIS_PLUGIN_V1_BASE_SIZE offsetof(stasis_plugin_v1, read_range)

typedef const stasis_plugin_v1* (*stasis_plugin_entry_v1_fn)(void);
#define STASIS_PLUGIN_ENTRY_V1 "stasis_plugin_entry_v1"

#ifdef __cplusplus
}
#endif

#endif /* STASIS_PLUGINS_ABI_H_ */
