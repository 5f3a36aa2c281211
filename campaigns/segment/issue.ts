/** One problem of a segment expression: a 1-based column within the expression, and what to do. */
export interface ExpressionIssue {
  col: number;
  message: string;
}

/** Thrown inside the lexer and parser at the first syntax error; {@link parseExpression} turns it into a value. */
export class ExpressionFailure extends Error {
  override name = "ExpressionFailure";
  constructor(
    readonly col: number,
    message: string,
  ) {
    super(message);
  }
}
