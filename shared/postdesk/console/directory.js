// What the desk knows that seldom changes (its agents, saved replies, queues and categories): read
// once per sign-in.

import { ApiError, api } from "./api.js";

let knownAgents = null;
let knownSavedReplies = null;
let knownQueues = null;
let knownCategories = null;
let knownMailboxes = null;

// Reference data that cannot be read leaves the lists empty (the page still works); only a sign-in
// that expired stops it.
async function readOnce(path, field) {
  try {
    return (await api(path))[field] || [];
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    return [];
  }
}

export async function agents() {
  if (knownAgents === null) knownAgents = await readOnce("agents", "agents");
  return knownAgents;
}

// The desk's queues (GET /queues: those its triage rules route to and its SLA policy times).
export async function queues() {
  if (knownQueues === null) knownQueues = await readOnce("queues", "queues");
  return knownQueues;
}

// The categories a ticket can have (GET /categories: triage's taxonomy).
export async function categories() {
  if (knownCategories === null) knownCategories = await readOnce("categories", "categories");
  return knownCategories;
}

// The desk's addresses, the main one first (GET /mailboxes: each with its brand name and queue).
export async function mailboxes() {
  if (knownMailboxes === null) knownMailboxes = await readOnce("mailboxes", "mailboxes");
  return knownMailboxes;
}

export async function savedReplies() {
  if (knownSavedReplies === null) knownSavedReplies = await readOnce("saved-replies", "saved_replies");
  return knownSavedReplies;
}

export function savedReply(id) {
  return (knownSavedReplies || []).find((reply) => reply.id === id) || null;
}

// After a saved reply was written or deleted: the reply box reads them again.
export function forgetSavedReplies() {
  knownSavedReplies = null;
}

export function forgetDirectory() {
  knownAgents = null;
  knownSavedReplies = null;
  knownQueues = null;
  knownCategories = null;
  knownMailboxes = null;
}
