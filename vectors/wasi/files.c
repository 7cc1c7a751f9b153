// Reads data/input.txt from the pre-opened folder `data`, writes a summary,
// appends to a log, makes and removes folders and files, renames, and lists
// the folder (sorted, so the listing order does not depend on the runtime).
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path) {
  DIR *d = opendir(path);
  if (!d) { printf("opendir %s failed\n", path); return; }
  char *names[64]; int n = 0; struct dirent *e;
  while ((e = readdir(d)) && n < 64) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  for (int i = 0; i < n; i++) { printf("  %s/%s\n", path, names[i]); free(names[i]); }
}

int main(void) {
  FILE *in = fopen("data/input.txt", "r");
  if (!in) { perror("data/input.txt"); return 1; }
  char line[256]; int lines = 0, words = 0, bytes = 0;
  while (fgets(line, sizeof line, in)) {
    lines++; bytes += (int)strlen(line);
    int inword = 0;
    for (char *p = line; *p; p++) {
      int space = *p == ' ' || *p == '\n' || *p == '\t';
      if (!space && !inword) words++;
      inword = !space;
    }
  }
  fclose(in);
  printf("lines %d words %d bytes %d\n", lines, words, bytes);
  if (mkdir("data/out", 0755)) perror("mkdir data/out");
  FILE *out = fopen("data/out/summary.txt", "w");
  fprintf(out, "%d %d %d\n", lines, words, bytes);
  fclose(out);
  FILE *log = fopen("data/log.txt", "a");
  fprintf(log, "appended\n");
  fclose(log);
  if (rename("data/out/summary.txt", "data/out/counts.txt")) perror("rename");
  if (unlink("data/remove-me.txt")) perror("unlink");
  if (rmdir("data/sub")) perror("rmdir data/sub (not empty)");
  struct stat st;
  if (stat("data/out/counts.txt", &st) == 0) printf("counts.txt %lld bytes\n", (long long)st.st_size);
  if (stat("data/missing.txt", &st) != 0) perror("stat data/missing.txt");
  list("data");
  list("data/out");
  return 0;
}
