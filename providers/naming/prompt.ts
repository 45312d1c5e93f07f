// The playlist-naming prompt (after AudioMuse-AI's v0.3/v0.8 prompts, reference §4.1): the centroid's top
// moods, tempo band, energy and a sample of songs (title – artist), asking for one 15–40 character name.
import { MAX_NAME_LENGTH, MIN_NAME_LENGTH } from './clean.ts';
import type { NamingRequest } from './namer.ts';

/** Songs listed in the prompt at most (AudioMuse-AI lists up to 25). */
export const MAX_PROMPT_SONGS = 20;
/** Already-used names listed at most, so a large run does not bloat every prompt. */
const MAX_PROMPT_TAKEN = 30;
const MAX_PROMPT_MOODS = 5;

export function buildNamingPrompt(req: NamingRequest): string {
  const moods = req.topTags
    .filter((m) => m.label.trim())
    .slice(0, MAX_PROMPT_MOODS)
    .map((m) => `${oneLine(m.label, 40)} (${m.score.toFixed(2)})`);
  const tempo = `${req.tempoBand.toLowerCase()}${req.tempoBpm !== null && Number.isFinite(req.tempoBpm) ? ` (about ${Math.round(req.tempoBpm)} BPM)` : ''}`;
  const songs = req.songs
    .slice(0, MAX_PROMPT_SONGS)
    .map((s) => `  - ${oneLine(s.title, 100) || 'Untitled'} – ${oneLine(s.artist, 60) || 'Unknown artist'}`);
  const taken = req.takenNames.slice(-MAX_PROMPT_TAKEN).map((n) => oneLine(n, MAX_NAME_LENGTH + 12));

  const lines = [
    'You are a creative music curator. Name a playlist whose songs were grouped by how they sound.',
    '',
    'The playlist:',
    `- Working label: ${oneLine(req.tagName.replace(/_/g, ' '), 120)}`,
    `- Strongest moods and styles (score 0 to 1): ${moods.length ? moods.join(', ') : 'no clear mood'}`,
    `- Tempo: ${tempo}`,
  ];
  if (req.energy !== null && Number.isFinite(req.energy))
    lines.push(`- Energy: ${energyWord(req.energy)} (${req.energy.toFixed(2)} on a 0 to 1 scale)`);
  if (songs.length) lines.push('- Some of its songs (title – artist):', ...songs);
  if (taken.length) lines.push('', `Names already used for other playlists (do not repeat them): ${taken.join('; ')}`);
  lines.push(
    '',
    'Write exactly one playlist name that captures this mood and suggests a moment or activity it suits.',
    `Rules: ${MIN_NAME_LENGTH} to ${MAX_NAME_LENGTH} characters; letters, digits, spaces and simple punctuation only;`,
    'no emoji; no quotes; no label such as "Name:"; no explanation.',
    'Answer with the name only, on a single line.',
  );
  return lines.join('\n');
}

/** The reference's energy hint: low below 0.3, high above 0.7. */
function energyWord(energy: number): string {
  return energy < 0.3 ? 'low' : energy > 0.7 ? 'high' : 'medium';
}

/** Library metadata on one line, bounded, so a title cannot add lines (instructions) to the prompt. */
function oneLine(text: string, max: number): string {
  const s = String(text ?? '')
    .replace(/[\p{C}\s]+/gu, ' ')
    .trim();
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}
