#!/usr/bin/env node
/*
 * ort_bench.js: times an ONNX model with ONNX Runtime (onnxruntime-node) on one thread.
 *
 *   node bench/ort_bench.js net.onnx [--input in.bin] [--ref ref.bin] [--budget 2]
 *                                    [--rtol 1e-3] [--atol 1e-4]
 *
 * Session: intraOpNumThreads 1, interOpNumThreads 1, sequential execution,
 * graphOptimizationLevel 'all'. Batch 1 (the input shape comes from the model).
 * Warm-up (>= 5 runs and ~0.3 s), then as many single runs as fit in --budget
 * seconds (11..301); prints `key value` lines:
 *   ort_version 1.30.0
 *   ort_us 1234.5              median µs of one session.run
 *   ort_runs 101
 *   max_abs_err 1e-06          with --ref: largest |out - ref|
 *   check ok | check FAIL N    with --ref (atol + rtol*|ref|, as bench_main.c)
 * onnxruntime-node is looked up the usual way (bench/node_modules after
 * `npm install --ignore-scripts onnxruntime-node` in bench/, or NODE_PATH).
 */
'use strict';
const fs = require('fs');

function usage(msg) {
    process.stderr.write(`ort_bench.js: ${msg}\n`);
    process.exit(2);
}

function readF32(path) {
    const b = fs.readFileSync(path);
    if (b.length % 4) usage(`${path}: not a float32 file`);
    const out = new Float32Array(b.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(4 * i);
    return out;
}

async function main() {
    const args = process.argv.slice(2);
    const opt = { budget: 2, rtol: 1e-3, atol: 1e-4 };
    let model = null;
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a.startsWith('--')) {
            if (i + 1 >= args.length) usage(`${a} needs a value`);
            opt[a.slice(2)] = args[++i];
        } else model = a;
    }
    if (!model) usage('usage: ort_bench.js MODEL.onnx [--input F] [--ref F] [--budget S]');

    let ort;
    try {
        ort = require('onnxruntime-node');
    } catch (e) {
        process.stderr.write('ort_bench.js: onnxruntime-node is not installed\n');
        process.exit(4);
    }
    const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
    });
    const inName = session.inputNames[0], outName = session.outputNames[0];
    let shape = null;
    if (session.inputMetadata && session.inputMetadata[0] && session.inputMetadata[0].shape)
        shape = session.inputMetadata[0].shape.map((d) => (typeof d === 'number' ? d : 1));
    let data;
    if (opt.input) {
        data = readF32(opt.input);
        if (!shape) shape = [1, data.length];
    } else {
        if (!shape) usage('the model does not say its input shape: pass --input');
        data = new Float32Array(shape.reduce((a, b) => a * b, 1));
        for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
    }
    if (shape.reduce((a, b) => a * b, 1) !== data.length)
        usage(`input has ${data.length} floats, the model wants [${shape}]`);
    const feeds = { [inName]: new ort.Tensor('float32', data, shape) };

    const first = (await session.run(feeds))[outName].data;
    const verOf = (o) => (o && o.versions && (o.versions.node || o.versions.common)) || '?';
    console.log('ort_version', verOf(ort.env));
    let status = 0;
    if (opt.ref) {
        const ref = readF32(opt.ref);
        if (ref.length !== first.length) usage(`reference has ${ref.length} floats, output ${first.length}`);
        let maxerr = 0, bad = 0;
        const rtol = Number(opt.rtol), atol = Number(opt.atol);
        for (let i = 0; i < ref.length; i++) {
            const e = Math.abs(first[i] - ref[i]);
            if (!(e <= atol + rtol * Math.abs(ref[i]))) bad++;
            if (!(e <= maxerr)) maxerr = e;
        }
        console.log('max_abs_err', maxerr.toExponential(2));
        console.log(bad ? `check FAIL ${bad}` : 'check ok');
        if (bad) status = 3;
    }

    const budget = Number(opt.budget);
    const now = () => Number(process.hrtime.bigint()) / 1e3; // µs
    let t0 = now(), warm = 0;
    while (warm < 5 || now() - t0 < Math.min(0.3, budget / 4) * 1e6) {
        await session.run(feeds);
        warm++;
    }
    const per = (now() - t0) / warm;
    const runs = Math.max(11, Math.min(301, Math.floor((budget * 1e6) / per)));
    const ts = [];
    for (let r = 0; r < runs; r++) {
        const t = now();
        await session.run(feeds);
        ts.push(now() - t);
    }
    ts.sort((a, b) => a - b);
    console.log('ort_us', ts[Math.floor(runs / 2)].toFixed(1));
    console.log('ort_runs', runs);
    process.exitCode = status;
}

main().catch((e) => {
    process.stderr.write(`ort_bench.js: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
});
