// The words both engines share, with no dependencies (so the clustering side never loads the ONNX runtime):
// the 50 MSD `tags` in the tag model's output order, the six `moodHeads`, and the `embedding` size.

/** The 50 MSD tag labels in the tag model's output order (AudioMuse-AI `config.MOOD_LABELS`). */
export const TAGS = [
  'rock',
  'pop',
  'alternative',
  'indie',
  'electronic',
  'female vocalists',
  'dance',
  '00s',
  'alternative rock',
  'jazz',
  'beautiful',
  'metal',
  'chillout',
  'male vocalists',
  'classic rock',
  'soul',
  'indie rock',
  'Mellow',
  'electronica',
  '80s',
  'folk',
  '90s',
  'chill',
  'instrumental',
  'punk',
  'oldies',
  'blues',
  'hard rock',
  'ambient',
  'acoustic',
  'experimental',
  'female vocalist',
  'guitar',
  'Hip-Hop',
  '70s',
  'party',
  'country',
  'easy listening',
  'sexy',
  'catchy',
  'funk',
  'electro',
  'heavy metal',
  'Progressive rock',
  '60s',
  'rnb',
  'indie pop',
  'sad',
  'House',
  'happy',
] as const;

/** The `n` highest tag scores, best first (AudioMuse-AI keeps TOP_N_MOODS of them per track). */
export function topTags(scores: ArrayLike<number>, n: number): { label: string; score: number }[] {
  return TAGS.map((label, i) => ({ label: label as string, score: scores[i] }))
    .sort((a, b) => b.score - a.score)
    .slice(0, n);
}

/** The six mood heads (AudioMuse-AI `OTHER_FEATURE_LABELS`), in this order everywhere. */
export const MOOD_HEADS = ['danceable', 'aggressive', 'happy', 'party', 'relaxed', 'sad'] as const;
export type MoodHead = (typeof MOOD_HEADS)[number];
export type MoodScores = Record<MoodHead, number>;

/** Dimensions of the MusiCNN embedding. */
export const EMBEDDING_DIM = 200;
