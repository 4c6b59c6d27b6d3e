/* cmd_vib_live.c: placeholder so that the binary links while this command is written (issue 5). */
#include <stdio.h>

#include "commands.h"

int cmd_vib_live(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "ramhost %s: not built yet\n", argv[0]);
	return 1;
}
