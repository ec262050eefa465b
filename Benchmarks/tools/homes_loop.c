// homes_loop.c - the reference for `sync --create-homes`: the same system calls HomeCreator makes
// for each new home, in one process with no other work: open the prefix, mkdirat 0700, openat
// (O_NOFOLLOW|O_DIRECTORY), fstat, copy each regular file of the skeleton (fstatat, openat, fstat,
// openat O_CREAT|O_EXCL|O_NOFOLLOW, read/write, fchown, close), fchown and fchmod the home.
// Usage: homes_loop PREFIX SKELETON N FIRST_UID
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 5) return 2;
  int n = atoi(argv[3]); unsigned uid0 = (unsigned)atol(argv[4]);
  char names[16][256]; int nf = 0; DIR *d = opendir(argv[2]); struct dirent *e;
  while (d && (e = readdir(d)) && nf < 16) if (e->d_type == DT_REG) strcpy(names[nf++], e->d_name);
  if (d) closedir(d);
  int pfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC); if (pfd < 0) { perror(argv[1]); return 1; }
  char buf[65536];
  for (int i = 0; i < n; i++) {
    char name[64]; snprintf(name, sizeof name, "h%07d", i); unsigned uid = uid0 + i; struct stat st;
    if (mkdirat(pfd, name, 0700) != 0) { perror("mkdirat"); return 1; }
    int hfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); fstat(hfd, &st);
    int sfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (int f = 0; f < nf; f++) {
      fstatat(sfd, names[f], &st, AT_SYMLINK_NOFOLLOW);
      int in = openat(sfd, names[f], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); fstat(in, &st);
      int out = openat(hfd, names[f], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      ssize_t r; while ((r = read(in, buf, sizeof buf)) > 0) if (write(out, buf, r) != r) return 1;
      fchown(out, uid, uid); fchmod(out, st.st_mode & 07777); close(out); close(in);
    }
    close(sfd);
    fchown(hfd, uid, uid); fchmod(hfd, 0700); close(hfd);
  }
  return 0;
}
