// build: -O1
/* File and directory system calls with deterministic results, for strace-rs's differential
 * tests: open/read/write/lseek/stat/fcntl/dup/getdents/rename/unlink/readlink/... */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp/st_fileio.d";
    char path[256], path2[256], buf[128];
    mkdir(dir, 0755);
    if (chdir(dir) != 0) return 1;
    snprintf(path, sizeof path, "%s/data.txt", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    write(fd, "hello, world\n", 13);
    write(fd, "\x01\x02\x03\tbinary\"quote\\\n", 19);
    struct iovec iov[2] = {{"abc", 3}, {"defgh", 5}};
    writev(fd, iov, 2);
    pwrite(fd, "ZZ", 2, 4);
    fsync(fd);
    close(fd);
    fd = openat(AT_FDCWD, "data.txt", O_RDONLY | O_CLOEXEC);
    read(fd, buf, 5);
    lseek(fd, 0, SEEK_SET);
    read(fd, buf, sizeof buf);
    pread(fd, buf, 4, 2);
    struct stat st;
    fstat(fd, &st);
    int fd2 = dup(fd);
    dup2(fd, 10);
    fcntl(fd, F_GETFD);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_GETFL);
    fcntl(fd2, F_DUPFD_CLOEXEC, 20);
    close(fd2);
    close(10);
    close(fd);
    stat(path, &st);
    lstat("data.txt", &st);
    access("data.txt", R_OK | W_OK);
    access("missing.txt", F_OK);
    open("missing.txt", O_RDONLY);
    symlink("data.txt", "link.txt");
    readlink("link.txt", buf, sizeof buf);
    rename("data.txt", "moved.txt");
    truncate("moved.txt", 3);
    chmod("moved.txt", 0600);
    mkdir("sub", 0700);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    char dents[4096];
    syscall(SYS_getdents64, dfd, dents, sizeof dents);
    close(dfd);
    getcwd(buf, sizeof buf);
    rmdir("sub");
    unlink("link.txt");
    unlinkat(AT_FDCWD, "moved.txt", 0);
    umask(022);
    chdir("/");
    rmdir(dir);
    return 0;
}
