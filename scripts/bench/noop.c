/* The benchmarks' baseline and stand-in java: a static binary that exits 0
 * at once. Built at bench time with `gcc -static -O2`. */
int main(void) { return 0; }
