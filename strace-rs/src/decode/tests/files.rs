//! Files, directories and descriptors: lines of `calls.strace` (`strace -o calls.strace
//! ./calls`, from `calls.c`).

use libc::*;

use super::{at, call, check, neg, Recorded};

const AT_FDCWD_ARG: u64 = neg(AT_FDCWD as i64);
const REG_0644: u64 = (S_IFREG | 0o644) as u64;

fn c(v: i32) -> u64 {
    v as u64
}

/// A `struct stat` (x86_64) of a regular file: only what strace shows without `-v`.
fn stat_of(mode: u64, size: u64) -> Vec<u64> {
    let mut st = vec![0u64; 18];
    st[3] = mode;
    st[6] = size;
    st
}

#[test]
fn open() {
    check(
        call("open", &[at(0x200), c(O_RDWR | O_CREAT | O_TRUNC), 0o644])
            .returns(3)
            .memory(Recorded::default().cstr(at(0x200), "/tmp/fx-dir/file")),
        "open(\"/tmp/fx-dir/file\", O_RDWR|O_CREAT|O_TRUNC, 0644) = 3",
    );
}

#[test]
fn openat() {
    check(
        call(
            "openat",
            &[AT_FDCWD_ARG, at(0x100), c(O_RDONLY | O_DIRECTORY)],
        )
        .returns(4)
        .memory(Recorded::default().cstr(at(0x100), "/tmp/fx-dir")),
        "openat(AT_FDCWD, \"/tmp/fx-dir\", O_RDONLY|O_DIRECTORY) = 4",
    );
    check(
        call("openat", &[AT_FDCWD_ARG, at(0x600), c(O_RDONLY)])
            .fails(ENOENT)
            .memory(Recorded::default().cstr(at(0x600), "/nonexistent")),
        "openat(AT_FDCWD, \"/nonexistent\", O_RDONLY) = -1 ENOENT (No such file or directory)",
    );
}

#[test]
fn creat_and_mode_calls() {
    let paths = Recorded::default()
        .cstr(at(0x300), "/tmp/fx-dir/other")
        .cstr(at(0x200), "/tmp/fx-dir/file")
        .cstr(at(0x100), "/tmp/fx-dir");
    check(
        call("creat", &[at(0x300), 0o600])
            .returns(5)
            .memory(paths.clone()),
        "creat(\"/tmp/fx-dir/other\", 0600)        = 5",
    );
    check(
        call("chmod", &[at(0x200), 0o640])
            .returns(0)
            .memory(paths.clone()),
        "chmod(\"/tmp/fx-dir/file\", 0640)         = 0",
    );
    check(
        call("mkdir", &[at(0x100), 0o755]).returns(0).memory(paths),
        "mkdir(\"/tmp/fx-dir\", 0755)              = 0",
    );
    check(
        call("fchmod", &[3, 0o644]).returns(0),
        "fchmod(3, 0644)                         = 0",
    );
}

#[test]
fn dirfd_path_mode() {
    check(
        call("fchmodat", &[4, at(0x400), 0o600])
            .returns(0)
            .memory(Recorded::default().cstr(at(0x400), "file")),
        "fchmodat(4, \"file\", 0600)               = 0",
    );
    check(
        call("mkdirat", &[4, at(0x700), 0o700])
            .returns(0)
            .memory(Recorded::default().cstr(at(0x700), "sub")),
        "mkdirat(4, \"sub\", 0700)                 = 0",
    );
}

#[test]
fn read_and_write() {
    check(
        call("write", &[3, at(0x500), 16])
            .returns(16)
            .memory(Recorded::default().cstr(at(0x500), "hello, decoders\n")),
        "write(3, \"hello, decoders\\n\", 16)       = 16",
    );
    check(
        call("read", &[3, at(0x1000), 64])
            .returns(16)
            .memory(Recorded::default().bytes(at(0x1000), b"HELLO, decoders\n")),
        "read(3, \"HELLO, decoders\\n\", 64)        = 16",
    );
    check(
        call("read", &[neg(-1), at(0x1000), 64]).fails(EBADF),
        "read(-1, 0x10001000, 64)                = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn pread_and_pwrite() {
    check(
        call("pwrite64", &[3, at(0x580), 5, 0])
            .returns(5)
            .memory(Recorded::default().cstr(at(0x580), "HELLO")),
        "pwrite64(3, \"HELLO\", 5, 0)              = 5",
    );
    check(
        call("pread64", &[3, at(0x1000), 5, 7])
            .returns(5)
            .memory(Recorded::default().bytes(at(0x1000), b"decod")),
        "pread64(3, \"decod\", 5, 7)               = 5",
    );
}

/// The two `iovec`s of `calls.c` at 0x10001300 ("ab", "cdefg") and the two it reads into
/// at 0x10001320.
fn iovecs() -> Recorded {
    Recorded::default()
        .u64s(at(0x1300), &[at(0xc80), 2, at(0xd00), 5])
        .u64s(at(0x1320), &[at(0x1400), 3, at(0x1500), 8])
        .cstr(at(0xc80), "ab")
        .cstr(at(0xd00), "cdefg")
}

#[test]
fn writev_and_pwritev() {
    check(
        call("writev", &[3, at(0x1300), 2])
            .returns(7)
            .memory(iovecs()),
        "writev(3, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"cdefg\", iov_len=5}], 2) = 7",
    );
    check(
        call("pwritev", &[3, at(0x1300), 2, 3])
            .returns(7)
            .memory(iovecs()),
        "pwritev(3, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"cdefg\", iov_len=5}], 2, 3) = 7",
    );
}

#[test]
fn iovec_array_cut_by_unreadable_memory_shows_what_was_read() {
    // Two elements readable, the third not: strace's print_array marks where it stopped.
    check(
        call("writev", &[3, at(0x1300), 3]).fails(EFAULT).memory(
            Recorded::default()
                .u64s(at(0x1300), &[at(0xc80), 2, at(0xd00), 5])
                .cstr(at(0xc80), "ab")
                .cstr(at(0xd00), "cdefg"),
        ),
        "writev(3, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"cdefg\", iov_len=5}, ... /* 0x10001320 */], 3) = -1 EFAULT (Bad address)",
    );
}

#[test]
fn readv_and_preadv() {
    check(
        call("readv", &[3, at(0x1320), 2])
            .returns(0)
            .memory(iovecs()),
        "readv(3, [{iov_base=\"\", iov_len=3}, {iov_base=\"\", iov_len=8}], 2) = 0",
    );
    let filled = iovecs()
        .bytes(at(0x1400), b"HEL")
        .bytes(at(0x1500), b"LO, dec\0");
    check(
        call("preadv", &[3, at(0x1320), 2, 0]).returns(11).memory(filled),
        "preadv(3, [{iov_base=\"HEL\", iov_len=3}, {iov_base=\"LO, dec\\0\", iov_len=8}], 2, 0) = 11",
    );
}

#[test]
fn lseek() {
    check(
        call("lseek", &[3, 0, c(SEEK_SET)]).returns(0),
        "lseek(3, 0, SEEK_SET)                   = 0",
    );
    // calls.c passes an int -4 where the kernel reads a long.
    check(
        call("lseek", &[3, 0xffff_fffc, c(SEEK_END)]).returns(4294967318),
        "lseek(3, 4294967292, SEEK_END)          = 4294967318",
    );
}

#[test]
fn stat_lstat_fstat() {
    let st = Recorded::default()
        .cstr(at(0x200), "/tmp/fx-dir/file")
        .cstr(at(0x680), "/nonexistent")
        .u64s(at(0x2000), &stat_of(REG_0644, 16));
    check(
        call("stat", &[at(0x200), at(0x2000)])
            .returns(0)
            .memory(st.clone()),
        "stat(\"/tmp/fx-dir/file\", {st_mode=S_IFREG|0644, st_size=16, ...}) = 0",
    );
    check(
        call("lstat", &[at(0x680), at(0x2000)])
            .fails(ENOENT)
            .memory(st.clone()),
        "lstat(\"/nonexistent\", 0x10002000)       = -1 ENOENT (No such file or directory)",
    );
    check(
        call("fstat", &[3, at(0x2000)]).returns(0).memory(st),
        "fstat(3, {st_mode=S_IFREG|0644, st_size=16, ...}) = 0",
    );
}

#[test]
fn newfstatat() {
    check(
        call(
            "newfstatat",
            &[4, at(0x400), at(0x2000), c(AT_SYMLINK_NOFOLLOW)],
        )
        .returns(0)
        .memory(
            Recorded::default()
                .cstr(at(0x400), "file")
                .u64s(at(0x2000), &stat_of(REG_0644, 16)),
        ),
        "newfstatat(4, \"file\", {st_mode=S_IFREG|0644, st_size=16, ...}, AT_SYMLINK_NOFOLLOW) = 0",
    );
}

#[test]
fn statx() {
    let mut stx = [0u8; 256];
    stx[0..4].copy_from_slice(&0x17ffu32.to_ne_bytes());
    stx[28..30].copy_from_slice(&(REG_0644 as u16).to_ne_bytes());
    stx[40..48].copy_from_slice(&16u64.to_ne_bytes());
    check(
        call("statx", &[4, at(0x400), 0, 0x7ff, at(0x2000)])
            .returns(0)
            .memory(
                Recorded::default()
                    .cstr(at(0x400), "file")
                    .bytes(at(0x2000), &stx),
            ),
        "statx(4, \"file\", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=16, ...}) = 0",
    );
}

#[test]
fn access_faccessat_faccessat2() {
    let m = Recorded::default()
        .cstr(at(0x200), "/tmp/fx-dir/file")
        .cstr(at(0x680), "/nonexistent")
        .cstr(at(0x400), "file");
    check(
        call("access", &[at(0x200), c(R_OK | W_OK)])
            .returns(0)
            .memory(m.clone()),
        "access(\"/tmp/fx-dir/file\", R_OK|W_OK)   = 0",
    );
    check(
        call("access", &[at(0x680), c(F_OK)])
            .fails(ENOENT)
            .memory(m.clone()),
        "access(\"/nonexistent\", F_OK)            = -1 ENOENT (No such file or directory)",
    );
    check(
        call("faccessat", &[4, at(0x400), c(X_OK)])
            .fails(EACCES)
            .memory(m.clone()),
        "faccessat(4, \"file\", X_OK)              = -1 EACCES (Permission denied)",
    );
    check(
        call("faccessat2", &[4, at(0x400), c(R_OK), c(AT_EACCESS)])
            .returns(0)
            .memory(m),
        "faccessat2(4, \"file\", R_OK, AT_EACCESS) = 0",
    );
}

#[test]
fn unlinkat() {
    check(
        call("unlinkat", &[4, at(0x700), c(AT_REMOVEDIR)])
            .returns(0)
            .memory(Recorded::default().cstr(at(0x700), "sub")),
        "unlinkat(4, \"sub\", AT_REMOVEDIR)        = 0",
    );
}

#[test]
fn path_only() {
    let m = Recorded::default()
        .cstr(at(0xd80), "/tmp/fx-dir/nothing")
        .cstr(at(0xe00), "/tmp/fx-dir/nodir");
    check(
        call("unlink", &[at(0xd80)]).fails(ENOENT).memory(m.clone()),
        "unlink(\"/tmp/fx-dir/nothing\")           = -1 ENOENT (No such file or directory)",
    );
    check(
        call("rmdir", &[at(0xe00)]).fails(ENOENT).memory(m),
        "rmdir(\"/tmp/fx-dir/nodir\")              = -1 ENOENT (No such file or directory)",
    );
}

#[test]
fn symlinks_and_links() {
    let m = Recorded::default()
        .cstr(at(0x400), "file")
        .cstr(at(0x480), "link")
        .cstr(at(0x780), "/tmp/fx-dir/link")
        .cstr(at(0x800), "hard")
        .cstr(at(0x880), "hard2")
        .cstr(at(0x300), "/tmp/fx-dir/other")
        .cstr(at(0x900), "/tmp/fx-dir/other2");
    check(
        call("symlinkat", &[at(0x400), 4, at(0x480)])
            .returns(0)
            .memory(m.clone()),
        "symlinkat(\"file\", 4, \"link\")            = 0",
    );
    check(
        call("symlink", &[at(0x400), at(0x780)])
            .returns(0)
            .memory(m.clone()),
        "symlink(\"file\", \"/tmp/fx-dir/link\")     = 0",
    );
    check(
        call("linkat", &[4, at(0x400), 4, at(0x800), 0])
            .returns(0)
            .memory(m.clone()),
        "linkat(4, \"file\", 4, \"hard\", 0)         = 0",
    );
    check(
        call("renameat", &[4, at(0x800), 4, at(0x880)])
            .returns(0)
            .memory(m.clone()),
        "renameat(4, \"hard\", 4, \"hard2\")         = 0",
    );
    check(
        call("renameat2", &[4, at(0x880), 4, at(0x800), 1])
            .returns(0)
            .memory(m.clone()),
        "renameat2(4, \"hard2\", 4, \"hard\", RENAME_NOREPLACE) = 0",
    );
    check(
        call("rename", &[at(0x300), at(0x900)])
            .returns(0)
            .memory(m.clone()),
        "rename(\"/tmp/fx-dir/other\", \"/tmp/fx-dir/other2\") = 0",
    );
    check(
        call("link", &[at(0x900), at(0x300)]).returns(0).memory(m),
        "link(\"/tmp/fx-dir/other2\", \"/tmp/fx-dir/other\") = 0",
    );
}

#[test]
fn readlink_and_readlinkat() {
    let m = Recorded::default()
        .cstr(at(0x480), "link")
        .cstr(at(0x780), "/tmp/fx-dir/link")
        .bytes(at(0x1000), b"file");
    check(
        call("readlinkat", &[4, at(0x480), at(0x1000), 64])
            .returns(4)
            .memory(m.clone()),
        "readlinkat(4, \"link\", \"file\", 64)       = 4",
    );
    check(
        call("readlink", &[at(0x780), at(0x1000), 64])
            .returns(4)
            .memory(m),
        "readlink(\"/tmp/fx-dir/link\", \"file\", 64) = 4",
    );
}

#[test]
fn getcwd() {
    check(
        call("getcwd", &[at(0x1000), 256])
            .returns(5)
            .memory(Recorded::default().cstr(at(0x1000), "/tmp")),
        "getcwd(\"/tmp\", 256)                     = 5",
    );
}

#[test]
fn truncate_and_ftruncate() {
    check(
        call("truncate", &[at(0x200), 10])
            .returns(0)
            .memory(Recorded::default().cstr(at(0x200), "/tmp/fx-dir/file")),
        "truncate(\"/tmp/fx-dir/file\", 10)        = 0",
    );
    check(
        call("ftruncate", &[3, 12]).returns(0),
        "ftruncate(3, 12)                        = 0",
    );
}

#[test]
fn getdents64_counts_entries() {
    // Seven records (`d_reclen` at byte 16) filling the 184 bytes returned.
    let mut buf = Vec::new();
    for reclen in [24u16, 24, 24, 24, 24, 32, 32] {
        let mut rec = vec![0u8; reclen as usize];
        rec[16..18].copy_from_slice(&reclen.to_ne_bytes());
        buf.extend(rec);
    }
    check(
        call("getdents64", &[4, at(0x3000), 4096])
            .returns(184)
            .memory(Recorded::default().bytes(at(0x3000), &buf)),
        "getdents64(4, 0x10003000 /* 7 entries */, 4096) = 184",
    );
}

#[test]
fn fcntl() {
    check(
        call("fcntl", &[3, c(F_GETFD)]).returns(0),
        "fcntl(3, F_GETFD)                       = 0",
    );
    check(
        call("fcntl", &[3, c(F_SETFD), c(FD_CLOEXEC)]).returns(0),
        "fcntl(3, F_SETFD, FD_CLOEXEC)           = 0",
    );
    check(
        call("fcntl", &[3, c(F_GETFL)]).returns(0x8002),
        "fcntl(3, F_GETFL)                       = 0x8002 (flags O_RDWR|O_LARGEFILE)",
    );
    check(
        call("fcntl", &[3, c(F_SETFL), c(O_RDWR | O_APPEND)]).returns(0),
        "fcntl(3, F_SETFL, O_RDWR|O_APPEND)      = 0",
    );
    check(
        call("fcntl", &[3, c(F_DUPFD_CLOEXEC), 20]).returns(20),
        "fcntl(3, F_DUPFD_CLOEXEC, 20)           = 20",
    );
}

#[test]
fn flock() {
    check(
        call("flock", &[3, c(LOCK_EX | LOCK_NB)]).returns(0),
        "flock(3, LOCK_EX|LOCK_NB)               = 0",
    );
}

#[test]
fn umask() {
    check(
        call("umask", &[0o22]).returns(0o22),
        "umask(022)                              = 022",
    );
}

#[test]
fn ioctl() {
    check(
        call("ioctl", &[3, 0x5401, at(0x1000)]).fails(ENOTTY),
        "ioctl(3, TCGETS, 0x10001000)            = -1 ENOTTY (Inappropriate ioctl for device)",
    );
    check(
        call("ioctl", &[3, 0x541b, at(0x1000)])
            .returns(0)
            .memory(Recorded::default().u32s(at(0x1000), &[(-4i32) as u32])),
        "ioctl(3, FIONREAD, [-4])                = 0",
    );
}

#[test]
fn chown_fchown_lchown_fchownat() {
    let m = Recorded::default()
        .cstr(at(0x200), "/tmp/fx-dir/file")
        .cstr(at(0x400), "file");
    let minus1 = 0xffff_ffff;
    check(
        call("chown", &[at(0x200), minus1, minus1])
            .returns(0)
            .memory(m.clone()),
        "chown(\"/tmp/fx-dir/file\", -1, -1)       = 0",
    );
    check(
        call("fchown", &[3, minus1, minus1]).returns(0),
        "fchown(3, -1, -1)                       = 0",
    );
    check(
        call("lchown", &[at(0x200), minus1, minus1])
            .returns(0)
            .memory(m.clone()),
        "lchown(\"/tmp/fx-dir/file\", -1, -1)      = 0",
    );
    check(
        call(
            "fchownat",
            &[4, at(0x400), minus1, minus1, c(AT_SYMLINK_NOFOLLOW)],
        )
        .returns(0)
        .memory(m),
        "fchownat(4, \"file\", -1, -1, AT_SYMLINK_NOFOLLOW) = 0",
    );
}

#[test]
fn pipe_and_pipe2() {
    check(
        call("pipe", &[at(0x1000)])
            .returns(0)
            .memory(Recorded::default().u32s(at(0x1000), &[6, 7])),
        "pipe([6, 7])                            = 0",
    );
    check(
        call("pipe2", &[at(0x1000), c(O_CLOEXEC | O_NONBLOCK)])
            .returns(0)
            .memory(Recorded::default().u32s(at(0x1000), &[8, 9])),
        "pipe2([8, 9], O_NONBLOCK|O_CLOEXEC)     = 0",
    );
}

#[test]
fn fadvise64() {
    check(
        call("fadvise64", &[3, 0, 100, c(POSIX_FADV_SEQUENTIAL)]).returns(0),
        "fadvise64(3, 0, 100, POSIX_FADV_SEQUENTIAL) = 0",
    );
}

#[test]
fn utimensat() {
    check(
        call(
            "utimensat",
            &[AT_FDCWD_ARG, at(0x200), 0, c(AT_SYMLINK_NOFOLLOW)],
        )
        .returns(0)
        .memory(Recorded::default().cstr(at(0x200), "/tmp/fx-dir/file")),
        "utimensat(AT_FDCWD, \"/tmp/fx-dir/file\", NULL, AT_SYMLINK_NOFOLLOW) = 0",
    );
}

#[test]
fn dup_dup2_dup3() {
    check(
        call("dup", &[3]).returns(11),
        "dup(3)                                  = 11",
    );
    check(
        call("dup2", &[3, 30]).returns(30),
        "dup2(3, 30)                             = 30",
    );
    check(
        call("dup3", &[3, 31, c(O_CLOEXEC)]).returns(31),
        "dup3(3, 31, O_CLOEXEC)                  = 31",
    );
}

#[test]
fn fd_only() {
    check(call("fsync", &[3]).returns(0), "fsync(3) = 0");
    check(call("close", &[3]).returns(0), "close(3) = 0");
    check(
        call("close", &[neg(-1)]).fails(EBADF),
        "close(-1)                               = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn close_range() {
    check(
        call("close_range", &[30, 31, 0]).returns(0),
        "close_range(30, 31, 0)                  = 0",
    );
}

#[test]
fn eventfd2() {
    check(
        call("eventfd2", &[5, c(EFD_CLOEXEC | EFD_NONBLOCK)]).returns(12),
        "eventfd2(5, EFD_CLOEXEC|EFD_NONBLOCK)   = 12",
    );
}

#[test]
fn memfd_create() {
    check(
        call("memfd_create", &[at(0x980), 3])
            .returns(13)
            .memory(Recorded::default().cstr(at(0x980), "decoders")),
        "memfd_create(\"decoders\", MFD_CLOEXEC|MFD_ALLOW_SEALING) = 13",
    );
}

#[test]
fn sendfile() {
    check(
        call("sendfile", &[1, 3, at(0x1200), 3])
            .returns(3)
            .memory(Recorded::default().u64s(at(0x1200), &[2]))
            .exit_memory(Recorded::default().u64s(at(0x1200), &[5])),
        "sendfile(1, 3, [2] => [5], 3)           = 3",
    );
    check(
        call("sendfile", &[neg(-1), 3, 0, 3]).fails(EBADF),
        "sendfile(-1, 3, NULL, 3)                = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn copy_file_range() {
    check(
        call("copy_file_range", &[3, 0, neg(-1), 0, 5, 0]).fails(EBADF),
        "copy_file_range(3, NULL, -1, NULL, 5, 0) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn fallocate() {
    check(
        call("fallocate", &[3, c(FALLOC_FL_KEEP_SIZE), 0, 4096]).returns(0),
        "fallocate(3, FALLOC_FL_KEEP_SIZE, 0, 4096) = 0",
    );
}

#[test]
fn statfs_and_fstatfs() {
    // f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen,
    // f_frsize, f_flags (ST_VALID|ST_RELATIME).
    let fs = [0x9fa0, 4096, 0, 0, 0, 0, 0, 0x15, 255, 4096, 32 | 4096];
    check(
        call("statfs", &[at(0xa00), at(0x2000)]).returns(0).memory(
            Recorded::default()
                .cstr(at(0xa00), "/proc")
                .u64s(at(0x2000), &fs),
        ),
        "statfs(\"/proc\", {f_type=PROC_SUPER_MAGIC, f_bsize=4096, f_blocks=0, f_bfree=0, f_bavail=0, f_files=0, f_ffree=0, f_fsid={val=[0x15, 0]}, f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}) = 0",
    );
    check(
        call("fstatfs", &[neg(-1), at(0x2000)]).fails(EBADF),
        "fstatfs(-1, 0x10002000)                 = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn mknod_and_mknodat() {
    check(
        call("mknod", &[at(0xa80), (S_IFIFO | 0o644) as u64, 0])
            .returns(0)
            .memory(Recorded::default().cstr(at(0xa80), "/tmp/fx-dir/fifo")),
        "mknod(\"/tmp/fx-dir/fifo\", S_IFIFO|0644) = 0",
    );
    check(
        call(
            "mknodat",
            &[4, at(0xb00), (S_IFCHR | 0o600) as u64, libc::makedev(1, 3)],
        )
        .returns(0)
        .memory(Recorded::default().cstr(at(0xb00), "chr")),
        "mknodat(4, \"chr\", S_IFCHR|0600, makedev(0x1, 0x3)) = 0",
    );
}

/// The attribute's name and value of `calls.c`, and the buffer it reads them into.
fn xattrs() -> Recorded {
    Recorded::default()
        .cstr(at(0x200), "/tmp/fx-dir/file")
        .cstr(at(0xb80), "user.k")
        .cstr(at(0xc00), "value")
}

#[test]
fn setxattr() {
    check(
        call("setxattr", &[at(0x200), at(0xb80), at(0xc00), 5, 1])
            .returns(0)
            .memory(xattrs()),
        "setxattr(\"/tmp/fx-dir/file\", \"user.k\", \"value\", 5, XATTR_CREATE) = 0",
    );
}

#[test]
fn getxattr_and_fgetxattr() {
    let m = xattrs().bytes(at(0x1000), b"value");
    check(
        call("getxattr", &[at(0x200), at(0xb80), at(0x1000), 64])
            .returns(5)
            .memory(m.clone()),
        "getxattr(\"/tmp/fx-dir/file\", \"user.k\", \"value\", 64) = 5",
    );
    check(
        call("fgetxattr", &[3, at(0xb80), at(0x1000), 64])
            .returns(5)
            .memory(m),
        "fgetxattr(3, \"user.k\", \"value\", 64)     = 5",
    );
}

#[test]
fn listxattr_and_flistxattr() {
    let m = xattrs().bytes(at(0x1000), b"user.k\0");
    check(
        call("listxattr", &[at(0x200), at(0x1000), 64])
            .returns(7)
            .memory(m.clone()),
        "listxattr(\"/tmp/fx-dir/file\", \"user.k\\0\", 64) = 7",
    );
    check(
        call("flistxattr", &[3, at(0x1000), 64])
            .returns(7)
            .memory(m),
        "flistxattr(3, \"user.k\\0\", 64)           = 7",
    );
}

#[test]
fn removexattr() {
    check(
        call("removexattr", &[at(0x200), at(0xb80)])
            .returns(0)
            .memory(xattrs()),
        "removexattr(\"/tmp/fx-dir/file\", \"user.k\") = 0",
    );
}

#[test]
fn timerfd_create() {
    check(
        call("timerfd_create", &[c(CLOCK_MONOTONIC), c(TFD_CLOEXEC)]).returns(14),
        "timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) = 14",
    );
}

/// `strace -X verbose -e trace=open,fcntl,mmap -o xverbose.strace ./calls`: numbers with
/// their names in comments.
#[test]
fn open_with_verbose_constants() {
    let opts = crate::decode::DecodeOpts {
        xlat: crate::text::XlatStyle::Verbose,
        ..Default::default()
    };
    check(
        call("open", &[at(0x200), c(O_RDWR | O_CREAT | O_TRUNC), 0o644])
            .opts(opts)
            .returns(3)
            .memory(Recorded::default().cstr(at(0x200), "/tmp/fx-dir/file")),
        "open(\"/tmp/fx-dir/file\", 0x242 /* O_RDWR|O_CREAT|O_TRUNC */, 0644) = 3",
    );
}
