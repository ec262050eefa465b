// keys_reader.c - the floor for a keys-cache lookup: a static C program that maps the cache
// (docs/keys-cache.md), binary-searches the sorted lines for NAME, checks UID and prints the keys,
// one per line. No safety checks (the real helper does them): this is the lower bound.
// Usage: keys_reader CACHE NAME UID
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int fd = open(argv[1], O_RDONLY); struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return 1;
  const char *m = mmap(0, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0); if (m == MAP_FAILED) return 1;
  const char *end = m + st.st_size, *data = memchr(m, '\n', st.st_size); if (!data) return 1; data++;
  size_t nl = strlen(argv[2]); const char *lo = data, *hi = end;   // lo: a line start; [lo, hi)
  while (lo < hi) {
    const char *mid = lo + (hi - lo) / 2;
    while (mid > lo && mid[-1] != '\n') mid--;                       // back to a line start
    const char *colon = memchr(mid, ':', end - mid); if (!colon) return 1;
    size_t ln = colon - mid; int c = memcmp(mid, argv[2], ln < nl ? ln : nl); if (c == 0) c = (ln > nl) - (ln < nl);
    const char *eol = memchr(mid, '\n', end - mid); if (!eol) eol = end;
    if (c == 0) {
      const char *u = colon + 1, *uend = memchr(u, ':', eol - u); if (!uend) return 1;
      if ((size_t)(uend - u) != strlen(argv[3]) || memcmp(u, argv[3], uend - u) != 0) return 0;
      for (const char *k = uend + 1; k < eol;) { const char *t = memchr(k, '\t', eol - k); if (!t) t = eol; fwrite(k, 1, t - k, stdout); fputc('\n', stdout); k = t + 1; }
      return 0;
    }
    if (c < 0) lo = eol + 1; else hi = mid;
  }
  return 0;
}
