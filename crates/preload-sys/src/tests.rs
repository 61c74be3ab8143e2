//! The wrappers against the kernel and against libc's own answers.

use std::vec::Vec;

use super::*;

fn temp_path(tag: &str) -> Vec<u8> {
    let dir = std::env::temp_dir().join(std::format!("tk-sys-{tag}-{}", std::process::id()));
    let mut path = dir.into_os_string().into_encoded_bytes();
    path.push(0);
    path
}

#[test]
fn files_round_trip_through_raw_calls() {
    let path = temp_path("files");
    let fd = open(&path, libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC, 0o600).unwrap();
    write_all(fd, b"hello").unwrap();
    pwrite_all(fd, b"J", 0).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(pread_full(fd, &mut buf, 0).unwrap(), 5);
    assert_eq!(&buf[..5], b"Jello");
    assert_eq!(file_size(fd).unwrap(), 5);
    ftruncate(fd, 2).unwrap();
    assert_eq!(file_size(fd).unwrap(), 2);
    let (uid, regular) = owner_and_kind(fd).unwrap();
    assert!(regular);
    assert_eq!(uid, geteuid());
    assert!(is_open(fd));
    close(fd);
    assert!(!is_open(fd));
    assert_eq!(read_file(&path, &mut buf).unwrap(), 2);
    let mut moved = path[..path.len() - 1].to_vec();
    moved.extend_from_slice(b".moved\0");
    let id = path_id(&path).unwrap();
    rename(&path, &moved).unwrap();
    assert_eq!(path_id(&moved), Some(id));
    assert_eq!(path_id(&path), None);
    rename(&moved, &path).unwrap();
    unlink(&path).unwrap();
    assert_eq!(unlink(&path), Err(Errno(libc::ENOENT)));
}

#[test]
fn paths_without_their_nul_are_refused() {
    assert_eq!(
        open(b"/etc/passwd", libc::O_RDONLY, 0),
        Err(Errno(libc::EINVAL))
    );
    assert!(!is_executable(b"/bin/sh"));
    assert!(is_executable(b"/bin/sh\0"));
    assert!(!is_executable(b"/etc/passwd\0"));
}

#[test]
fn descriptors_duplicate_and_pipes_carry_bytes() {
    let (r, w) = pipe().unwrap();
    let w2 = dup_cloexec(w, 100).unwrap();
    assert!(w2 >= 100);
    write_all(w2, b"through the copy").unwrap();
    close(w2);
    close(w);
    assert!(poll_readable(r, 1000));
    let mut got = [0u8; 64];
    let n = read_to_fill(r, &mut got);
    assert_eq!(&got[..n], b"through the copy");
    close(r);
}

#[test]
fn ids_clocks_and_names_agree_with_libc() {
    assert_eq!(getpid(), std::process::id());
    // SAFETY: getppid takes no argument and cannot fail.
    assert_eq!(getppid(), unsafe { libc::getppid() } as u32);
    // SAFETY: gettid takes no argument and cannot fail.
    assert_eq!(gettid(), unsafe { libc::gettid() } as u32);
    // SAFETY: geteuid takes no argument and cannot fail.
    assert_eq!(geteuid(), unsafe { libc::geteuid() });
    let a = mono_ns();
    assert!(mono_ns() >= a);
    assert!(clock_ns(libc::CLOCK_MONOTONIC) >= a);
    assert!(realtime_ns() > 1_600_000_000_000_000_000);
    let mut exe = [0u8; 4096];
    assert!(readlink(b"/proc/self/exe\0", &mut exe).unwrap() > 0);
    let mut cwd = [0u8; 4096];
    let n = getcwd(&mut cwd).unwrap();
    assert_eq!(
        &cwd[..n],
        std::env::current_dir()
            .unwrap()
            .as_os_str()
            .as_encoded_bytes()
    );
    std::thread::spawn(|| {
        set_thread_name(b"tk-named\0").unwrap();
        let mut name = [0u8; 16];
        let n = thread_name(&mut name);
        assert_eq!(&name[..n], b"tk-named");
    })
    .join()
    .unwrap();
}

#[test]
fn thread_ids_list_every_living_thread() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        tx.send(gettid()).unwrap();
        let _ = done_rx.recv();
    });
    let other = rx.recv().unwrap();
    let mut ids = [0u32; 256];
    let n = thread_ids(&mut ids).unwrap();
    assert!(n >= 2 && n <= ids.len(), "{n}");
    assert!(ids[..n].contains(&gettid()), "{:?}", &ids[..n]);
    assert!(ids[..n].contains(&other), "{:?}", &ids[..n]);
    // Too small a buffer: the count is still the whole.
    let mut one = [0u32; 1];
    assert!(thread_ids(&mut one).unwrap() >= 2);
    done_tx.send(()).unwrap();
    t.join().unwrap();
}

#[test]
fn the_coarse_clock_has_a_resolution_of_whole_ticks() {
    let res = mono_coarse_res_ns();
    // The kernel tick: 1 ms (1000 Hz) to 10 ms (100 Hz).
    assert!((1_000_000..=10_000_000).contains(&res), "{res}");
}

#[test]
fn sigset_matches_libc() {
    let sigs = [1, libc::SIGSEGV, libc::SIGALRM, 34, 64];
    let ours = sigset(&sigs);
    fn libc_has(set: &libc::sigset_t, s: libc::c_int) -> libc::c_int {
        // SAFETY: `set` is an initialized sigset_t borrowed for the call, which only reads it.
        unsafe { libc::sigismember(set, s) }
    }
    // SAFETY: sigset_t is plain integers, for which all-zero bytes are a valid value.
    let mut theirs: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: `theirs` is a local sigset_t, exclusively borrowed for the call.
    unsafe { libc::sigemptyset(&mut theirs) };
    for s in sigs {
        // SAFETY: as above; `s` is a valid signal number (1..=64).
        unsafe { libc::sigaddset(&mut theirs, s) };
    }
    let full = full_sigset();
    for s in 1..=64 {
        assert_eq!(libc_has(&ours, s), libc_has(&theirs, s), "signal {s}");
        assert_eq!(libc_has(&full, s), 1, "signal {s}");
    }
}

#[test]
fn memory_maps_guard_pages_and_safe_reads() {
    let stack = map_stack(8 * PAGE).unwrap();
    // The usable part reads and writes; the guard below cannot be read, and reading it
    // through read_memory says so instead of faulting.
    // SAFETY: inside the mapping just made.
    unsafe { stack.write(7) };
    let mut b = [0u8; 1];
    assert!(read_memory(stack as u64, &mut b));
    assert_eq!(b[0], 7);
    assert!(!read_memory(stack as u64 - 1, &mut b));
    assert_eq!(read_u64(stack as u64 - 8), None);
    let old = swap_altstack(stack, 8 * PAGE).unwrap();
    let now = current_altstack().unwrap();
    assert_eq!(now.ss_sp as usize, stack as usize);
    match old {
        Some(o) => restore_altstack(&o),
        None => disable_altstack(),
    }
    // SAFETY: the stack is no longer in use.
    unsafe { unmap_stack(stack, 8 * PAGE) };
    let page = map_page().unwrap();
    // SAFETY: the first byte of the page just mapped, readable and writable.
    unsafe { page.write(1) };
    // SAFETY: the whole page is ours, and no reference into it is alive.
    unsafe { protect(page, PAGE, libc::PROT_READ) }.unwrap();
    assert!(read_memory(page as u64, &mut b));
    // SAFETY: as above; it becomes writable again.
    unsafe { protect(page, PAGE, libc::PROT_READ | libc::PROT_WRITE) }.unwrap();
    // SAFETY: a private anonymous page of ours whose contents the test means to drop.
    unsafe { discard(page, PAGE) };
    // SAFETY: still mapped and readable; a discarded page reads as zeros.
    assert_eq!(unsafe { page.read() }, 0);
    // SAFETY: the page is not used after this.
    unsafe { unmap(page, PAGE) };
}

#[test]
fn raw_fork_exec_and_wait() {
    match raw_fork().unwrap() {
        0 => {
            let argv = [
                c"/bin/sh".as_ptr().cast(),
                c"-c".as_ptr().cast(),
                c"exit 3".as_ptr().cast(),
                core::ptr::null(),
            ];
            let envp = [core::ptr::null()];
            // SAFETY: NUL-terminated strings in NULL-terminated arrays.
            unsafe { execve(argv[0], argv.as_ptr(), envp.as_ptr()) };
            exit_group(99)
        }
        child => assert_eq!(wait(child, true), Waited::Exited(3)),
    }
}

#[test]
fn futexes_wake_a_sleeper() {
    use core::sync::atomic::{AtomicU32, Ordering};
    static WORD: AtomicU32 = AtomicU32::new(0);
    let t = std::thread::spawn(|| {
        while WORD.load(Ordering::Acquire) == 0 {
            futex_wait(&WORD, 0);
        }
    });
    sleep_ms(10);
    WORD.store(1, Ordering::Release);
    futex_wake(&WORD, 1);
    t.join().unwrap();
}

#[test]
fn the_file_size_limit_follows_rlimit() {
    // SAFETY: a plain query.
    let mut r = unsafe { core::mem::zeroed::<libc::rlimit>() };
    // SAFETY: r is writable.
    unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut r) };
    let want = if r.rlim_cur == libc::RLIM_INFINITY {
        u64::MAX
    } else {
        r.rlim_cur
    };
    assert_eq!(file_size_limit(), want);
}
