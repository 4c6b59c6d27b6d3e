/* output.c: the frame of `ramhost image iso` and `ramhost image disk` (see output.h). */
#include "output.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "outpath.h"

/* The bootbank into s->bank: built from the profile, or the given one read, checked and copied; then its kernel
 * signed when signing is on. */
static int stage_bank(const struct output_job *job, const struct output_stage *s, struct rh_err *err)
{
	int rc;

	if (job->p) {
		struct bank_build_opts bo = *job->bank;
		bo.workdir = s->work;
		rc = bank_build_write(job->p, s->bank, &bo, s->cfg, err);
	} else {
		rc = bank_dir_read_cfg(job->bootbank_dir, s->cfg, err);
		if (!rc)
			rc = bank_dir_check(job->bootbank_dir, s->cfg, err);
		if (!rc)
			rc = bank_dir_copy(job->bootbank_dir, s->bank, s->cfg, err);
	}
	if (!rc && s->sign)
		rc = efiboot_sign_bootbank_kernel(job->efi, s->bank, s->cfg, err);
	return rc;
}

/* The output rule (outpath.h) for job->out against every input: the profile's paths or the bootbank directory,
 * the EFI loader, the signing pair and the format's extra input. */
static int check_out(const struct output_job *job, struct rh_err *err)
{
	const char *in[PROFILE_MAX_INPUTS + 5];
	size_t n = 0;

	if (job->p)
		n = profile_inputs(job->p, in);
	in[n++] = job->efi->loader;
	in[n++] = job->efi->sign_key;
	in[n++] = job->efi->sign_cert;
	in[n++] = job->bootbank_dir;
	in[n++] = job->extra_input;
	return outpath_check(job->out, job->force, in, n, err);
}

/* The refusals before any work: the either-or of the inputs, the signing options, the output (outpath.h), and
 * the profile's own paths. */
static int check_job(const struct output_format *fmt, const struct output_job *job, int *ret_sign,
		     struct rh_err *err)
{
	int sign, rc;

	if (!job->p == !job->bootbank_dir)
		return rh_errf(err, -EINVAL, "%s: give either a profile or a bootbank", fmt->what);
	sign = efiboot_check_signing(job->efi, err);
	if (sign < 0)
		return sign;
	rc = check_out(job, err);
	if (!rc && job->p)
		rc = profile_check_inputs(job->p, err);
	if (rc)
		return rc;
	*ret_sign = sign;
	return 0;
}

/* The work directory with the staged bootbank and whatever else the format stages. */
static int stage_all(const struct output_format *fmt, void *ctx, const struct output_job *job,
		     struct output_stage *s, char *bank, struct rh_err *err)
{
	int rc;

	rc = fs_join(bank, PATH_MAX, s->work, fmt->bank_rel, err);
	if (!rc)
		rc = rh_mkdir_p(bank, 0755, err);
	if (rc)
		return rc;
	s->bank = bank;
	if (fmt->prepare) {
		rc = fmt->prepare(ctx, s, err);
		if (rc)
			return rc;
	}
	rc = stage_bank(job, s, err);
	if (rc)
		return rc;
	return fmt->stage(ctx, s, err);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int output_build(const struct output_format *fmt, void *ctx, const struct output_job *job, struct rh_err *err)
{
	char work[PATH_MAX], bank[PATH_MAX], tmp[PATH_MAX];
	struct output_stage s = { work, NULL, NULL, 0 };
	struct timespec t0;
	int rc, fd = -1;

	tmp[0] = work[0] = '\0';
	s.cfg = calloc(1, sizeof(*s.cfg));
	if (!s.cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = check_job(fmt, job, &s.sign, err);
	if (!rc)
		rc = fs_work_dir(job->bank->workdir, fmt->work_name, work, sizeof(work), err);
	if (!rc)
		rc = stage_all(fmt, ctx, job, &s, bank, err);
	if (rc)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = fs_tmp_beside(job->out, tmp, sizeof(tmp), &fd, err);
	if (!rc)
		rc = fmt->write(ctx, &s, tmp, fd, err);
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = fs_install_file(tmp, job->out, err);
	if (rc)
		goto out;
	tmp[0] = '\0';
	rc = fmt->report(ctx, job->out, seconds_since(&t0), err);
out:
	if (tmp[0])
		unlink(tmp);
	if (work[0])
		fs_rm_rf(work, NULL);
	free(s.cfg);
	return rc;
}
