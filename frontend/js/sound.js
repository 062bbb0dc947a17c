// Sound while playing: the proxy carries the master's audio (Opus). It is heard at 1x and in J/L
// shuttle up to 2x forward; faster, backwards (stepped by seeks) and when M muted it, it is not.
// A master without audio has nothing to mute.

export const MAX_AUDIBLE_SPEED = 2;

export function audible({ hasAudio, userMuted }, speed) {
  return hasAudio && !userMuted && speed > 0 && speed <= MAX_AUDIBLE_SPEED;
}
