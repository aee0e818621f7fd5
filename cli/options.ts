// Option parsers shared by the CLI commands: a bad value is refused by commander with a one-line message that
// names the option.
import { InvalidArgumentError } from 'commander';

/** An integer option within [min, max]. */
export const integerOption = (name: string, min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer ${min}..${max}`);
  return n;
};

/** A TCP port option; 0 means any free port. */
export const portOption = (name: string) => integerOption(name, 0, 65535);

/** A number > 0. */
export const positiveNumberOption = (name: string) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number > 0`);
  return n;
};
