// SPDX-License-Identifier: GPL-2.0
/*
 * rdma_transfer: move a buffer of device memory to another host's device
 * memory over RDMA, the way Mooncake's transfer engine does: each side maps
 * device memory with the ACL VMM calls and registers it with ibv_reg_mr,
 * the two exchange their queue pair's address and their buffers' addresses
 * and keys over TCP, and the initiator moves the data with one-sided RDMA
 * writes and reads in 1 MiB slices, several in flight.
 *
 *   target:     rdma_transfer --listen [--port P] [--size BYTES]
 *   initiator:  rdma_transfer --connect HOST [--port P] [--size BYTES]
 *
 * Each side has a source buffer (filled with its own pattern) and a
 * destination buffer. The initiator writes its source into the target's
 * destination and reads the target's source into its own destination;
 * then each checks its destination through aclrtMemcpy and reports. Exit
 * status 0 when both sides' data arrived intact.
 *
 * Needs an RDMA device with an IPv4 address on port 1 (RoCE v2; for
 * testing, soft-RoCE: tools/rxe-setup) and RLIMIT_MEMLOCK of twice the
 * size (the registrations pin the pages) or CAP_IPC_LOCK.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "acl/acl.h"

#define SLICE (1UL << 20)	/* one work request */
#define DEPTH 8			/* work requests in flight */

/* What each side tells the other, big-endian on the wire. */
struct endpoint {
	uint8_t gid[16];
	uint32_t qpn;
	uint32_t src_rkey, dst_rkey;
	uint32_t pad;
	uint64_t src_addr, dst_addr;
	uint64_t size;
};

/* One side's device memory: a VMM reservation with one handle mapped. */
struct dev_buf {
	void *va;
	size_t size;
	aclrtDrvMemHandle handle;
	struct ibv_mr *mr;
};

struct rdma_ctx {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	int gid_index;
	union ibv_gid gid;
	enum ibv_mtu mtu;
};

static int die_acl(const char *call, aclError ret)
{
	fprintf(stderr, "rdma_transfer: %s: error %d: %s\n", call, ret, aclGetRecentErrMsg());
	return 1;
}

#define ACL_CHECK(call)                                                 \
	do {                                                            \
		aclError _r = (call);                                   \
		if (_r != ACL_SUCCESS)                                  \
			return die_acl(#call, _r);                      \
	} while (0)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The pattern a side's source holds: 8-byte words from its seed. */
static void pattern(uint64_t *w, size_t size, uint64_t seed)
{
	for (size_t i = 0; i < size / 8; i++)
		w[i] = seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

/* Map @size bytes of device memory, as aclrtMalloc's VMM successors do. */
static int dev_buf_alloc(struct dev_buf *b, size_t size, struct ibv_pd *pd)
{
	aclrtPhysicalMemProp prop = {
		.handleType = ACL_MEM_HANDLE_TYPE_NONE,
		.allocationType = ACL_MEM_ALLOCATION_TYPE_PINNED,
		.memAttr = ACL_HBM_MEM_HUGE,
		.location = { .id = 0, .type = ACL_MEM_LOCATION_TYPE_DEVICE },
	};

	b->size = size;
	ACL_CHECK(aclrtReserveMemAddress(&b->va, size, 0, NULL, 0));
	ACL_CHECK(aclrtMallocPhysical(&b->handle, size, &prop, 0));
	ACL_CHECK(aclrtMapMem(b->va, size, 0, b->handle, 0));
	b->mr = ibv_reg_mr(pd, b->va, size, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!b->mr) {
		perror("rdma_transfer: ibv_reg_mr of device memory");
		return 1;
	}
	return 0;
}

static void dev_buf_free(struct dev_buf *b)
{
	if (b->mr)
		ibv_dereg_mr(b->mr);
	if (b->va) {
		aclrtUnmapMem(b->va);
		aclrtFreePhysical(b->handle);
		aclrtReleaseMemAddress(b->va);
	}
}

/* The first device with an active port 1 and a RoCE v2 IPv4 GID. */
static int rdma_open(struct rdma_ctx *r)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC, .sq_sig_all = 1,
		.cap = { .max_send_wr = DEPTH, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_port_attr port;

	for (int i = 0; list && list[i] && !r->ctx; i++) {
		r->ctx = ibv_open_device(list[i]);
		if (!r->ctx)
			continue;
		r->gid_index = -1;
		if (!ibv_query_port(r->ctx, 1, &port) && port.state == IBV_PORT_ACTIVE)
			for (int g = 0; g < port.gid_tbl_len && r->gid_index < 0; g++)
				if (!ibv_query_gid(r->ctx, 1, g, &r->gid) &&
				    !memcmp(r->gid.raw, v4mapped, sizeof(v4mapped)))
					r->gid_index = g;
		if (r->gid_index < 0) {
			ibv_close_device(r->ctx);
			r->ctx = NULL;
			continue;
		}
		r->mtu = port.active_mtu;
	}
	ibv_free_device_list(list);
	if (!r->ctx) {
		fprintf(stderr, "rdma_transfer: no RDMA device with an active port and an IPv4 address\n");
		return 1;
	}
	r->pd = ibv_alloc_pd(r->ctx);
	r->cq = r->pd ? ibv_create_cq(r->ctx, 2 * DEPTH, NULL, NULL, 0) : NULL;
	qa.send_cq = qa.recv_cq = r->cq;
	r->qp = r->cq ? ibv_create_qp(r->pd, &qa) : NULL;
	if (!r->qp) {
		perror("rdma_transfer: creating the protection domain, queue and queue pair");
		return 1;
	}
	return 0;
}

/* INIT, RTR (towards the peer's queue pair and GID), RTS. */
static int rdma_connect(struct rdma_ctx *r, const struct endpoint *peer)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};

	if (ibv_modify_qp(r->qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			  IBV_QP_ACCESS_FLAGS))
		goto err;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = r->mtu;
	a.dest_qp_num = be32toh(peer->qpn);
	a.max_dest_rd_atomic = DEPTH;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	a.ah_attr.grh.sgid_index = r->gid_index;
	a.ah_attr.grh.hop_limit = 64;
	memcpy(a.ah_attr.grh.dgid.raw, peer->gid, 16);
	if (ibv_modify_qp(r->qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			  IBV_QP_MIN_RNR_TIMER))
		goto err;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = DEPTH;
	if (ibv_modify_qp(r->qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			  IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC))
		goto err;
	return 0;
err:
	perror("rdma_transfer: connecting the queue pair");
	return 1;
}

/* @op of @size bytes, local @lmr at @local, peer's @raddr/@rkey: in slices. */
static int rdma_move(struct rdma_ctx *r, enum ibv_wr_opcode op, struct ibv_mr *lmr,
		     char *local, uint64_t raddr, uint32_t rkey, size_t size)
{
	size_t posted = 0, done = 0;
	struct ibv_wc wc[DEPTH];

	while (done < size) {
		while (posted < size && posted - done < DEPTH * SLICE) {
			size_t n = size - posted < SLICE ? size - posted : SLICE;
			struct ibv_sge sge = { (uintptr_t)local + posted, n, lmr->lkey };
			struct ibv_send_wr wr = {
				.wr_id = n, .sg_list = &sge, .num_sge = 1, .opcode = op,
				.wr.rdma = { raddr + posted, rkey },
			}, *bad;

			if (ibv_post_send(r->qp, &wr, &bad)) {
				perror("rdma_transfer: ibv_post_send");
				return 1;
			}
			posted += n;
		}
		int got = ibv_poll_cq(r->cq, DEPTH, wc);

		for (int i = 0; i < got; i++) {
			if (wc[i].status != IBV_WC_SUCCESS) {
				fprintf(stderr, "rdma_transfer: %s failed: %s\n",
					op == IBV_WR_RDMA_WRITE ? "RDMA write" : "RDMA read",
					ibv_wc_status_str(wc[i].status));
				return 1;
			}
			done += wc[i].wr_id;
		}
		if (got < 0)
			return 1;
	}
	return 0;
}

static int xfer_all(int fd, void *buf, size_t len, bool out)
{
	for (char *p = buf; len;) {
		ssize_t n = out ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* The TCP connection the two sides exchange endpoints over. */
static int tcp_connect(const char *host, const char *port, bool listen_side)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
				  .ai_flags = listen_side ? AI_PASSIVE : 0 }, *ai;
	int fd, one = 1, conn;

	if (getaddrinfo(host, port, &hints, &ai)) {
		fprintf(stderr, "rdma_transfer: cannot resolve %s:%s\n", host ? host : "*", port);
		return -1;
	}
	if (listen_side) {
		fd = socket(ai->ai_family, ai->ai_socktype, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1)) {
			perror("rdma_transfer: listen");
			if (fd >= 0)
				close(fd);
			freeaddrinfo(ai);
			return -1;
		}
		freeaddrinfo(ai);
		conn = accept(fd, NULL, NULL);
		close(fd);
		return conn;
	}
	/* The target may not be up yet: try for a minute. */
	for (int i = 0; i < 600; i++) {
		fd = socket(ai->ai_family, ai->ai_socktype, 0);
		if (fd >= 0 && !connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			freeaddrinfo(ai);
			return fd;
		}
		if (fd >= 0)
			close(fd);
		usleep(100000);
	}
	perror("rdma_transfer: connect");
	freeaddrinfo(ai);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", no_argument, NULL, 'l' }, { "connect", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' }, { "size", required_argument, NULL, 's' },
		{},
	};
	struct dev_buf src = {}, dst = {};
	struct endpoint me = {}, peer;
	struct rdma_ctx r = {};
	const char *host = NULL, *port = "18515";
	size_t size = 64UL << 20;
	bool target = false;
	uint64_t *check;
	int opt, fd = -1, done = 1, ok = 0, peer_ok = 0, ret = 1;
	double t0, tw, tr;

	while ((opt = getopt_long(argc, argv, "lc:p:s:", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': target = true; break;
		case 'c': host = optarg; break;
		case 'p': port = optarg; break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (target == !!host || !size || size % (2UL << 20)) {
usage:
		fprintf(stderr, "usage: rdma_transfer --listen | --connect HOST [--port P] "
			"[--size BYTES, a multiple of 2 MiB]\n");
		return 2;
	}

	ACL_CHECK(aclInit(NULL));
	ACL_CHECK(aclrtSetDevice(0));
	check = malloc(size);
	if (!check || rdma_open(&r) || dev_buf_alloc(&src, size, r.pd) ||
	    dev_buf_alloc(&dst, size, r.pd))
		goto out;
	/* Our source holds our pattern, our destination zeroes. */
	pattern(check, size, target ? 0x7a7a : 0x1717);
	ACL_CHECK(aclrtMemcpy(src.va, size, check, size, ACL_MEMCPY_HOST_TO_DEVICE));
	ACL_CHECK(aclrtMemset(dst.va, size, 0, size));

	memcpy(me.gid, r.gid.raw, 16);
	me.qpn = htobe32(r.qp->qp_num);
	me.src_rkey = htobe32(src.mr->rkey);
	me.dst_rkey = htobe32(dst.mr->rkey);
	me.src_addr = htobe64((uintptr_t)src.va);
	me.dst_addr = htobe64((uintptr_t)dst.va);
	me.size = htobe64(size);
	fd = tcp_connect(host, port, target);
	if (fd < 0 || xfer_all(fd, &me, sizeof(me), true) ||
	    xfer_all(fd, &peer, sizeof(peer), false) || be64toh(peer.size) != size) {
		fprintf(stderr, "rdma_transfer: no endpoint from the peer (same --size on both?)\n");
		goto out;
	}
	if (rdma_connect(&r, &peer))
		goto out;

	if (!target) {
		/* Ours into the peer's destination, the peer's source into ours. */
		t0 = now();
		if (rdma_move(&r, IBV_WR_RDMA_WRITE, src.mr, src.va, be64toh(peer.dst_addr),
			      be32toh(peer.dst_rkey), size))
			goto out;
		tw = now() - t0;
		t0 = now();
		if (rdma_move(&r, IBV_WR_RDMA_READ, dst.mr, dst.va, be64toh(peer.src_addr),
			      be32toh(peer.src_rkey), size))
			goto out;
		tr = now() - t0;
		printf("rdma_transfer: wrote %zu MiB to the peer's device memory in %.2f s (%.1f MB/s)\n",
		       size >> 20, tw, size / tw / 1e6);
		printf("rdma_transfer: read %zu MiB from the peer's device memory in %.2f s (%.1f MB/s)\n",
		       size >> 20, tr, size / tr / 1e6);
	}
	/* The initiator says it is done; each checks its destination. */
	if (xfer_all(fd, &done, sizeof(done), !target))
		goto out;
	ACL_CHECK(aclrtMemcpy(check, size, dst.va, size, ACL_MEMCPY_DEVICE_TO_HOST));
	ok = 1;
	for (size_t i = 0; i < size / 8 && ok; i++)
		ok = check[i] == ((target ? 0x1717 : 0x7a7a) ^ (i * 0x9e3779b97f4a7c15ULL));
	if (xfer_all(fd, &ok, sizeof(ok), true) || xfer_all(fd, &peer_ok, sizeof(peer_ok), false))
		goto out;
	printf("rdma_transfer: %s: our device memory holds the peer's data: %s; the peer's holds ours: %s\n",
	       target ? "target" : "initiator", ok ? "yes" : "NO", peer_ok ? "yes" : "NO");
	ret = ok && peer_ok ? 0 : 1;
out:
	if (fd >= 0)
		close(fd);
	dev_buf_free(&dst);
	dev_buf_free(&src);
	if (r.qp)
		ibv_destroy_qp(r.qp);
	if (r.cq)
		ibv_destroy_cq(r.cq);
	if (r.pd)
		ibv_dealloc_pd(r.pd);
	if (r.ctx)
		ibv_close_device(r.ctx);
	free(check);
	aclFinalize();
	return ret;
}
