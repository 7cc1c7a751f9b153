// Asks the runtime things WASI preview1 leaves to it and prints the answers:
// `probe paths` (`..` inside and out of a pre-opened folder, errno values of
// failed file operations), `probe stdio` (what stdin and stdout are), or
// both without an argument.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void try_open(const char *path, int flags) {
  errno = 0;
  int fd = open(path, flags, 0644);
  printf("open %s: %s (errno %d)\n", path, fd >= 0 ? "ok" : "failed", errno);
  if (fd >= 0) close(fd);
}

static void paths(void) {
  try_open("data/../data/input.txt", O_RDONLY);
  try_open("data/../../etc/passwd", O_RDONLY);
  try_open("/etc/passwd", O_RDONLY);
  try_open("data", O_RDONLY | O_DIRECTORY);
  try_open("data/input.txt/x", O_RDONLY);
  try_open("data/new.txt", O_WRONLY | O_CREAT | O_EXCL);
  try_open("data/new.txt", O_WRONLY | O_CREAT | O_EXCL);
  struct stat st;
  errno = 0;
  int r = stat("data/input.txt", &st);
  printf("stat input: %d nlink %llu size %lld mtime %lld\n", r, (unsigned long long)st.st_nlink,
         (long long)st.st_size, (long long)st.st_mtim.tv_sec);
  errno = 0;
  r = mkdir("data/input.txt", 0755);
  printf("mkdir over a file: %d errno %d\n", r, errno);
  errno = 0;
  r = rmdir("data/sub");
  printf("rmdir non-empty: %d errno %d\n", r, errno);
  errno = 0;
  r = unlink("data/sub");
  printf("unlink a folder: %d errno %d\n", r, errno);
}

static void stdio(void) {
  struct stat st;
  errno = 0;
  int r = fstat(1, &st);
  printf("fstat stdout: %d errno %d mode %o\n", r, errno, r == 0 ? (unsigned)st.st_mode : 0);
  printf("isatty stdout %d\n", isatty(1));
  errno = 0;
  off_t off = lseek(0, 0, SEEK_CUR);
  printf("lseek stdin: %lld errno %d\n", (long long)off, errno);
}

int main(int argc, char **argv) {
  int all = argc < 2;
  if (all || !strcmp(argv[1], "paths")) paths();
  if (all || !strcmp(argv[1], "stdio")) stdio();
  return 0;
}
