// An independent check of a FlexLedger audit evidence bundle (docs/audit.md), with OpenZeppelin's own
// Merkle library and ethers, sharing no code with the Python trace:
//   node contracts/tools/verify_bundle.mjs BUNDLE.json
// - every award's Merkle proof against the committed root (StandardMerkleTree.verify, the leaf
//   encoding of IClearingHouse.Award);
// - every reading's EIP-712 Measurement signature (ethers.verifyTypedData) against the device key
//   the bundle names for its slot.
// Prints one JSON line; exits 1 if anything fails.
import { readFileSync } from "node:fs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { verifyTypedData, getAddress } from "ethers";

const LEAF = ["uint64", "uint64", "uint64", "uint32", "bytes", "bytes", "uint64", "uint64"];
const TYPES = { Measurement: [
  { name: "assetId", type: "uint64" }, { name: "slotStart", type: "uint64" },
  { name: "energyWh", type: "int64" }, { name: "seq", type: "uint64" },
] };

const bundle = JSON.parse(readFileSync(process.argv[2], "utf8"));
const root = bundle.round.commitment.args.awardsRoot;
const domain = { name: "FlexLedger Settlement", version: "1", chainId: bundle.chain_id,
                 verifyingContract: bundle.manifest.contracts.Settlement.address };
const out = { proofs_ok: 0, proofs_bad: [], signatures_ok: 0, signatures_bad: [] };
for (const item of bundle.awards) {
  const a = item.award;
  const leaf = [a.roundId, a.offerId, a.requestId, a.startSlot, a.schedule, a.portion, a.reservationPrice,
                a.activationPrice].map((v) => (typeof v === "number" ? BigInt(v) : v));
  let ok = false;
  try { ok = StandardMerkleTree.verify(root, LEAF, leaf, item.proof); } catch (e) { ok = false; }
  if (ok) out.proofs_ok += 1; else out.proofs_bad.push(item.leaf);
  for (const r of item.readings) {
    if (r.missing) continue;
    let signer = null;
    try {
      signer = verifyTypedData(domain, TYPES, { assetId: r.asset_id, slotStart: r.slot_start,
                                               energyWh: r.energy_wh, seq: r.seq }, r.signature);
    } catch (e) { signer = null; }
    if (signer && r.device_key && getAddress(signer) === getAddress(r.device_key)) out.signatures_ok += 1;
    else out.signatures_bad.push({ asset: r.asset_id, slot: r.slot_start, signer, key: r.device_key });
  }
}
console.log(JSON.stringify(out));
process.exit(out.proofs_bad.length || out.signatures_bad.length ? 1 : 0);
