#!/usr/bin/env node
/*
 * ort_profile.js: where ONNX Runtime's time goes, node by node, for comparing
 * with `make bench-profile` (cnnc's kernels) on the same model.
 *
 *   node bench/ort_profile.js net.onnx [--runs 200] [--skip 50]
 *
 * The session of ort_bench.js (one thread, sequential, graphOptimizationLevel
 * 'all': ONNX Runtime's fused nodes, e.g. a Conv with its Clip) with its
 * profiler on; the input is uniform in [-1, 1] with a fixed seed. Prints one
 * line per node of the optimized graph, in the order it runs: the median µs
 * of its kernel over the runs after the first --skip, its share of the sum of
 * those medians, its operator and its name (the name of its output tensor for
 * fused nodes); then `ort_sum_us`, the sum. The profiler's own overhead makes
 * the sum larger than ort_bench.js's time; the shares are what to compare.
 * The profile file goes to the system's temporary directory and is removed.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

function usage(msg) {
    process.stderr.write(`ort_profile.js: ${msg}\n`);
    process.exit(2);
}

async function main() {
    const args = process.argv.slice(2);
    const opt = { runs: 200, skip: 50 };
    let model = null;
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a.startsWith('--')) {
            if (i + 1 >= args.length) usage(`${a} needs a value`);
            opt[a.slice(2)] = Number(args[++i]);
        } else model = a;
    }
    if (!model) usage('usage: ort_profile.js MODEL.onnx [--runs N] [--skip N]');
    if (!(opt.runs > opt.skip && opt.skip >= 0)) usage('--runs must exceed --skip');
    let ort;
    try {
        ort = require('onnxruntime-node');
    } catch (e) {
        usage('onnxruntime-node is not installed (cd bench && npm ci --ignore-scripts)');
    }
    const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ort_profile-')), 'profile');
    const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        enableProfiling: true,
        profileFilePrefix: prefix,
    });
    const name = session.inputNames[0];
    const meta = session.inputMetadata ? session.inputMetadata[0] : null;
    const dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) : null;
    if (!dims) usage('the model does not say its input shape');
    const n = dims.reduce((a, b) => a * b, 1);
    const x = new Float32Array(n);
    let s = 12345;
    for (let i = 0; i < n; i++) {
        s = (s * 1103515245 + 12345) % 2147483648;
        x[i] = (s / 1073741824) - 1;
    }
    const feeds = { [name]: new ort.Tensor('float32', x, dims) };
    for (let r = 0; r < opt.runs; r++) await session.run(feeds);
    session.endProfiling();
    const dir = path.dirname(prefix);
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) usage('ONNX Runtime wrote no profile');
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
    const nodes = new Map();   // name -> {op, durations}, in the order they first ran
    for (const e of events) {
        if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
        const key = e.name.slice(0, -'_kernel_time'.length);
        if (!nodes.has(key)) nodes.set(key, { op: (e.args && e.args.op_name) || '?', dur: [] });
        nodes.get(key).dur.push(e.dur);
    }
    const rows = [];
    for (const [key, v] of nodes) {
        const d = v.dur.slice(opt.skip).sort((a, b) => a - b);
        if (d.length) rows.push({ key, op: v.op, us: d[d.length >> 1] });
    }
    const sum = rows.reduce((a, r) => a + r.us, 0);
    process.stdout.write(`${'us'.padStart(8)} ${'share'.padStart(7)}  ${'op'.padEnd(20)} node\n`);
    for (const r of rows)
        process.stdout.write(`${r.us.toFixed(0).padStart(8)} ${(100 * r.us / sum).toFixed(2).padStart(6)}%  ${r.op.padEnd(20)} ${r.key}\n`);
    process.stdout.write(`ort_sum_us ${sum.toFixed(0)}\n`);
}

main().catch((e) => {
    process.stderr.write(`ort_profile.js: ${e.message}\n`);
    process.exit(1);
});
