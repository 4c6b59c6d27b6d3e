/* commands.h: the subcommands of the multi-call binary `ramhost`.
 *
 * Each takes the arguments after its own name (argv[0] is the subcommand name), prints its own output and
 * errors, and returns the process exit status: 0 success, 1 failure, 2 usage error. Every command answers
 * --help. Library code below them never prints. */
#ifndef RAMHOST_COMMANDS_H
#define RAMHOST_COMMANDS_H

int cmd_image(int argc, char **argv);    /* cli/cmd_image.c */
int cmd_tardisk(int argc, char **argv);  /* cli/cmd_tardisk.c */
int cmd_df(int argc, char **argv);       /* cli/cmd_df.c */
int cmd_du(int argc, char **argv);       /* cli/cmd_du.c */
int cmd_ready(int argc, char **argv);    /* cli/cmd_ready.c */
int cmd_bootbank(int argc, char **argv);  /* cli/cmd_bootbank.c */
int cmd_install(int argc, char **argv);   /* cli/cmd_install.c */
int cmd_state(int argc, char **argv);     /* cli/cmd_state.c */
int cmd_vib(int argc, char **argv);       /* cli/cmd_vib.c: create, info, verify, extract */
int cmd_vib_live(int argc, char **argv);  /* cli/cmd_vib_live.c: install, remove, update, list (cmd_vib hands them on) */
int cmd_depot(int argc, char **argv);     /* cli/cmd_depot.c */
int cmd_pxe(int argc, char **argv);       /* cli/cmd_pxe.c: serve, match, status */
int cmd_rescue(int argc, char **argv);    /* cli/cmd_rescue.c: scan, plan, repair, undo, the single repairs */

/* cli/disk_drivers.c: loads the disk drivers a boot without a disk left out (lib/host/ondemand.h), saying how
 * many on stderr as who; before a command looks at the machine's disks. 0, or 1 after saying what failed. */
int cli_disk_drivers(const char *who);

#endif
