/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdma_loop.h: two RC queue pairs of one RDMA device connected to each
 * other (the device's loopback: soft-RoCE on a single host), and RDMA
 * writes and reads between memory regions of one protection domain over
 * them. Shared by rdma_test and acl-vmm-bench; examples/rdma_transfer.c
 * does the same between two hosts.
 */
#ifndef ACL_VMM_RDMA_LOOP_H
#define ACL_VMM_RDMA_LOOP_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <infiniband/verbs.h>

/* Work requests in flight at once, and the largest one (see rdma_loop_xfer). */
#define RDMA_LOOP_DEPTH 8
#define RDMA_LOOP_PIECE (1UL << 20)

struct rdma_loop {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	int gid_index;
	union ibv_gid gid;
	enum ibv_mtu mtu;
	char name[IBV_SYSFS_NAME_MAX];
	char err[160];
};

/* The GID table entry of a RoCE v2 IPv4 address (::ffff:a.b.c.d), or -1. */
static inline int rdma_loop_ipv4_gid(struct ibv_context *ctx, int len,
				     union ibv_gid *gid)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	for (int i = 0; i < len; i++)
		if (!ibv_query_gid(ctx, 1, i, gid) && !memcmp(gid->raw, mapped, 12))
			return i;
	return -1;
}

static inline int rdma_loop_fail(struct rdma_loop *l, int err, const char *what)
{
	snprintf(l->err, sizeof(l->err), "%s: %s", what, strerror(err));
	return -err;
}

/* Bring @qp to RTS, connected to the queue pair numbered @dest (same device). */
static inline int rdma_loop_connect(struct rdma_loop *l, struct ibv_qp *qp,
				    uint32_t dest)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .pkey_index = 0, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};
	int ret;

	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			    IBV_QP_ACCESS_FLAGS);
	if (ret)
		return rdma_loop_fail(l, ret, "QP to INIT");
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTR, .path_mtu = l->mtu, .dest_qp_num = dest,
		.rq_psn = 0, .max_dest_rd_atomic = RDMA_LOOP_DEPTH, .min_rnr_timer = 12,
		.ah_attr = { .is_global = 1, .port_num = 1,
			     .grh = { .dgid = l->gid, .sgid_index = l->gid_index,
				      .hop_limit = 1 } },
	};
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		return rdma_loop_fail(l, ret, "QP to RTR");
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTS, .timeout = 14, .retry_cnt = 7,
		.rnr_retry = 7, .sq_psn = 0, .max_rd_atomic = RDMA_LOOP_DEPTH,
	};
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			    IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	return ret ? rdma_loop_fail(l, ret, "QP to RTS") : 0;
}

static inline void rdma_loop_close(struct rdma_loop *l)
{
	for (int i = 0; i < 2; i++)
		if (l->qp[i])
			ibv_destroy_qp(l->qp[i]);
	if (l->cq)
		ibv_destroy_cq(l->cq);
	if (l->pd)
		ibv_dealloc_pd(l->pd);
	if (l->ctx)
		ibv_close_device(l->ctx);
	memset(l->qp, 0, sizeof(l->qp));
	l->cq = NULL;
	l->pd = NULL;
	l->ctx = NULL;
}

/*
 * Open the first RDMA device whose port 1 is active and has an IPv4 GID,
 * and connect two queue pairs of it to each other. Returns 0, -ENODEV when
 * there is no such device (l->err says why), or another negative errno.
 */
static inline int rdma_loop_open(struct rdma_loop *l)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC, .sq_sig_all = 1,
		.cap = { .max_send_wr = RDMA_LOOP_DEPTH, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_device **list;
	struct ibv_port_attr port;
	int n, i, ret = -ENODEV;

	memset(l, 0, sizeof(*l));
	snprintf(l->err, sizeof(l->err), "no RDMA device (ibv_devices; rdma link add)");
	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n && !l->ctx; i++) {
		l->ctx = ibv_open_device(list[i]);
		if (!l->ctx)
			continue;
		if (ibv_query_port(l->ctx, 1, &port) || port.state != IBV_PORT_ACTIVE ||
		    (l->gid_index = rdma_loop_ipv4_gid(l->ctx, port.gid_tbl_len, &l->gid)) < 0) {
			snprintf(l->err, sizeof(l->err),
				 "%s: port 1 not active or without an IPv4 address",
				 ibv_get_device_name(list[i]));
			ibv_close_device(l->ctx);
			l->ctx = NULL;
			continue;
		}
		snprintf(l->name, sizeof(l->name), "%s", ibv_get_device_name(list[i]));
		l->mtu = port.active_mtu;
	}
	if (list)
		ibv_free_device_list(list);
	if (!l->ctx)
		return ret;
	l->pd = ibv_alloc_pd(l->ctx);
	if (!l->pd) {
		ret = rdma_loop_fail(l, errno, "ibv_alloc_pd");
		goto err;
	}
	l->cq = ibv_create_cq(l->ctx, 2 * RDMA_LOOP_DEPTH, NULL, NULL, 0);
	if (!l->cq) {
		ret = rdma_loop_fail(l, errno, "ibv_create_cq");
		goto err;
	}
	qa.send_cq = l->cq;
	qa.recv_cq = l->cq;
	for (i = 0; i < 2; i++) {
		l->qp[i] = ibv_create_qp(l->pd, &qa);
		if (!l->qp[i]) {
			ret = rdma_loop_fail(l, errno, "ibv_create_qp");
			goto err;
		}
	}
	for (i = 0; i < 2; i++) {
		ret = rdma_loop_connect(l, l->qp[i], l->qp[!i]->qp_num);
		if (ret)
			goto err;
	}
	return 0;
err:
	rdma_loop_close(l);
	return ret;
}

/* Register @len bytes at @addr for local and remote reads and writes. */
static inline struct ibv_mr *rdma_loop_reg(struct rdma_loop *l, void *addr, size_t len)
{
	struct ibv_mr *mr = ibv_reg_mr(l->pd, addr, len, IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);

	if (!mr)
		rdma_loop_fail(l, errno, "ibv_reg_mr");
	return mr;
}

/* Wait for @n completions; the first failed one's status is reported. */
static inline int rdma_loop_reap(struct rdma_loop *l, int n)
{
	struct ibv_wc wc[RDMA_LOOP_DEPTH];
	int ret = 0;

	while (n > 0) {
		int got = ibv_poll_cq(l->cq, n < RDMA_LOOP_DEPTH ? n : RDMA_LOOP_DEPTH, wc);

		if (got < 0)
			return rdma_loop_fail(l, EIO, "ibv_poll_cq");
		for (int i = 0; i < got; i++)
			if (wc[i].status != IBV_WC_SUCCESS && !ret) {
				snprintf(l->err, sizeof(l->err), "work completion: %s",
					 ibv_wc_status_str(wc[i].status));
				ret = -EIO;
			}
		n -= got;
	}
	return ret;
}

/*
 * RDMA-write (IBV_WR_RDMA_WRITE) @len bytes from @local (in @lmr) to
 * @remote (in @rmr), or read them (IBV_WR_RDMA_READ) from @remote into
 * @local, over queue pair 0: in pieces of RDMA_LOOP_PIECE, up to
 * RDMA_LOOP_DEPTH in flight (a lost packet of soft-RoCE retries one piece,
 * not the whole transfer). Returns 0 once every piece completed, or a
 * negative errno (l->err says what failed).
 */
static inline int rdma_loop_xfer(struct rdma_loop *l, enum ibv_wr_opcode op,
				 struct ibv_mr *lmr, void *local,
				 struct ibv_mr *rmr, void *remote, size_t len)
{
	int inflight = 0, ret = 0;
	size_t off = 0;

	while (off < len || inflight) {
		if (off < len && inflight < RDMA_LOOP_DEPTH) {
			size_t n = len - off < RDMA_LOOP_PIECE ? len - off : RDMA_LOOP_PIECE;
			struct ibv_sge sge = {
				.addr = (uintptr_t)local + off, .length = n, .lkey = lmr->lkey,
			};
			struct ibv_send_wr wr = {
				.sg_list = &sge, .num_sge = 1, .opcode = op,
				.wr.rdma = { .remote_addr = (uintptr_t)remote + off,
					     .rkey = rmr->rkey },
			}, *bad;

			ret = ibv_post_send(l->qp[0], &wr, &bad);
			if (ret)
				return rdma_loop_fail(l, ret, "ibv_post_send");
			off += n;
			inflight++;
			continue;
		}
		ret = rdma_loop_reap(l, 1);
		inflight--;
		if (ret) {
			rdma_loop_reap(l, inflight);
			return ret;
		}
	}
	return 0;
}

#endif /* ACL_VMM_RDMA_LOOP_H */
