/* PLACEHOLDER, replaced by the component's real command: lets the binary link while the work is under way. */
#include <stdio.h>
#include "commands.h"

int cmd_image(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "ramhost %s: not built yet\n", argv[0]);
	return 1;
}
