// spawntime.c - wall time of fork+exec+wait of several commands, interleaved, nanoseconds.
// Usage: spawntime ROUNDS WARMUP CMD1 ARGS... ';;' CMD2 ARGS... [';;' ...]
// Prints one line per sample: "<command index> <nanoseconds> <exit status>". Children's stdout and
// stderr go to /dev/null. posix_spawn (vfork-like on glibc) is the same launcher for every command,
// so its cost is the same on both sides of a ratio.
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
static long long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: spawntime ROUNDS WARMUP CMD ARGS... [';;' CMD ARGS...]\n"); return 2; }
  int rounds = atoi(argv[1]), warm = atoi(argv[2]);
  char **cmds[64]; int n = 0; cmds[n++] = &argv[3];
  for (int i = 3; i < argc; i++) if (strcmp(argv[i], ";;") == 0) { argv[i] = NULL; if (i + 1 < argc) cmds[n++] = &argv[i + 1]; }
  posix_spawn_file_actions_t fa; posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  for (int r = -warm; r < rounds; r++) {
    for (int c = 0; c < n; c++) {
      pid_t pid; int st;
      long long a = now_ns();
      if (posix_spawn(&pid, cmds[c][0], &fa, NULL, cmds[c], environ) != 0) { perror(cmds[c][0]); return 1; }
      waitpid(pid, &st, 0);
      long long b = now_ns();
      if (r >= 0) printf("%d %lld %d\n", c, b - a, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
  }
  return 0;
}
