/* Placeholder entry point while the skeleton lands; replaced by the real program in this change. */
#include <stdio.h>
int main(void)
{
	fputs("not built yet\n", stderr);
	return 1;
}
