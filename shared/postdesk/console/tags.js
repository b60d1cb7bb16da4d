// Tags as the desk keeps them (workflows/ticket_work.py): trimmed, in lower case, 1 to 40 letters,
// digits, "-" or "_", starting with a letter or digit; at most 20 on a ticket. The console reads
// what an agent types the same way, so that what it shows before saving is what the desk will keep.

export const MAX_TAGS = 20;
const TAG = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export const TAG_RULE = "a tag is 1 to 40 lower-case letters, digits, - or _, starting with a letter or digit";

// "VIP, refund" -> { tags: ["vip", "refund"], refused: [] }; "free shipping!" -> refused "shipping!".
// Commas and spaces separate tags, as a tag has neither.
export function readTags(text) {
  const tags = [];
  const refused = [];
  for (const part of (text || "").split(/[\s,]+/)) {
    const tag = part.trim().toLowerCase();
    if (!tag) continue;
    if (!TAG.test(tag)) refused.push(part.trim());
    else if (!tags.includes(tag)) tags.push(tag);
  }
  return { tags, refused };
}

// The sentence for typed text that holds no tag the desk would keep.
export function refusedWords(refused) {
  const shown = refused.map((part) => `“${part.length > 40 ? `${part.slice(0, 40)}…` : part}”`).join(", ");
  return `${shown} cannot be ${refused.length === 1 ? "a tag" : "tags"}: ${TAG_RULE}.`;
}
