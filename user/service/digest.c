/* SPDX-License-Identifier: MIT */
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

static void to_hex(const unsigned char *md, unsigned n, char out[CS_SHA256_HEX])
{
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

int cs_sha256_hex(const void *data, size_t len, char out[CS_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL))
		return -1;
	to_hex(md, n, out);
	return 0;
}

int cs_sha256_file_hex(const char *path, char out[CS_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned n = 0;
	int err = 0, fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	EVP_MD_CTX *ctx;

	if (fd < 0)
		return -errno;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		err = -ENOMEM;
	while (!err) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = -errno;
		else if (r == 0)
			break;
		else if (!EVP_DigestUpdate(ctx, buf, (size_t)r))
			err = -EIO;
	}
	if (!err && !EVP_DigestFinal_ex(ctx, md, &n))
		err = -EIO;
	if (!err)
		to_hex(md, n, out);
	EVP_MD_CTX_free(ctx);
	close(fd);
	return err;
}
