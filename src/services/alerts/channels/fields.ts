// Field schemas shared by the channel kinds' settings. Messages say what is wrong; the field's
// name comes from the path when the settings are parsed (see parseChannelSettings).
import { z } from 'zod';

export const httpUrl = z
  .string()
  .trim()
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');

export const secretString = (what: string) =>
  z.string().min(1, `${what} must not be empty`).max(1000, `${what} must be at most 1000 characters`);

export const optionalSecret = (what: string) => secretString(what).nullish();

export const shortText = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
