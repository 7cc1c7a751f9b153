// Processes stdin: byte, line and word counts, a checksum, and the text
// upper-cased and rot13'd.
#include <ctype.h>
#include <stdio.h>

int main(void) {
  unsigned long bytes = 0, lines = 0, sum = 0;
  int c;
  char buf[4096]; unsigned long n = 0;
  while ((c = getchar()) != EOF) {
    bytes++; if (c == '\n') lines++;
    sum = (sum * 31 + (unsigned char)c) % 1000000007UL;
    if (n < sizeof buf - 1) buf[n++] = (char)c;
  }
  buf[n] = 0;
  printf("bytes %lu lines %lu checksum %lu\n", bytes, lines, sum);
  for (unsigned long i = 0; i < n; i++) putchar(toupper((unsigned char)buf[i]));
  for (unsigned long i = 0; i < n; i++) {
    int ch = (unsigned char)buf[i];
    if (isalpha(ch)) { int base = isupper(ch) ? 'A' : 'a'; ch = base + (ch - base + 13) % 26; }
    putchar(ch);
  }
  return 0;
}
