import { agent, SchemaConversionError, tool } from "buddy-ai";
import { openai, StrictSchemaError } from "buddy-ai/openai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

const strictModel = () =>
  openai("test-model", { baseURL: `${server.url}/v1`, apiKey: "test", strict: true });

const weatherParameters = z.object({
  city: z.string().min(1),
  unit: z.enum(["c", "f"]).optional(),
  days: z.number().int().default(1),
  stops: z.array(z.object({ name: z.string(), note: z.string().optional() })),
  kind: z
    .discriminatedUnion("t", [
      z.object({ t: z.literal("a"), x: z.number().optional() }),
      z.object({ t: z.literal("b") }),
    ])
    .optional(),
});

describe("strict mode against a server that validates schemas like OpenAI's strict mode", () => {
  it("the validator rejects zod's schema as is (what strict: true used to send)", async () => {
    const parameters = z.toJSONSchema(weatherParameters, { io: "input" });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "test", maxRetries: 0 });
    const error = await client.chat.completions
      .create({
        model: "test-model",
        messages: [{ role: "user", content: "Hi" }],
        tools: [
          {
            type: "function",
            function: { name: "weather", parameters: parameters as never, strict: true },
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain("Invalid schema for function 'weather'");
  });

  it("tools: the converted schema passes, and nulls for optional arguments read as absent", async () => {
    const seen: unknown[] = [];
    const weather = tool({
      name: "weather",
      description: "Weather on a trip",
      parameters: weatherParameters,
      execute: (args) => {
        seen.push(args);
        return "sunny";
      },
    });
    server.enqueue(
      {
        toolCalls: [
          {
            name: "weather",
            arguments: JSON.stringify({
              city: "Paris",
              unit: null,
              days: null,
              stops: [{ name: "Lyon", note: null }],
              kind: { t: "a", x: null },
            }),
          },
        ],
      },
      { text: "Sunny all the way." },
    );
    const answer = await agent({ model: strictModel(), tools: [weather] }).run("Trip?");
    expect(answer.content).toBe("Sunny all the way.");
    expect(seen).toEqual([{ city: "Paris", days: 1, stops: [{ name: "Lyon" }], kind: { t: "a" } }]);
    const sent = server.requests.at(-2)?.body.tools?.[0]?.function as {
      strict?: boolean;
      parameters?: Record<string, unknown>;
    };
    expect(sent.strict).toBe(true);
    expect(sent.parameters).toMatchObject({
      additionalProperties: false,
      required: ["city", "unit", "days", "stops", "kind"],
      properties: {
        city: { type: "string", description: "(minLength: 1)" },
        unit: { type: ["string", "null"], enum: ["c", "f", null] },
        days: { type: ["integer", "null"] },
      },
    });
  });

  it("output: the converted schema passes; null for an optional field is absent, for a nullable one kept", async () => {
    server.enqueue({ text: ['{"title":"T","subtitle":null,', '"rating":null,"tags":["x"]}'] });
    const extractor = agent({
      model: strictModel(),
      output: z.object({
        title: z.string(),
        subtitle: z.string().optional(),
        rating: z.number().nullable(),
        tags: z.array(z.string()),
      }),
    });
    const { content } = await extractor.run("Title?");
    expect(content).toEqual({ title: "T", rating: null, tags: ["x"] });
    const format = server.requests.at(-1)?.body.response_format?.json_schema as {
      strict?: boolean;
      schema?: Record<string, unknown>;
    };
    expect(format.strict).toBe(true);
    expect(format.schema).toEqual({
      type: "object",
      properties: {
        title: { type: "string" },
        subtitle: { type: ["string", "null"] },
        rating: { type: ["number", "null"] },
        tags: { type: "array", items: { type: "string" } },
      },
      required: ["title", "subtitle", "rating", "tags"],
      additionalProperties: false,
    });
  });

  it("without strict, schemas go as they are (nothing converted)", async () => {
    server.enqueue({ text: '{"title":"T"}' });
    const loose = openai("test-model", { baseURL: `${server.url}/v1`, apiKey: "test" });
    await agent({ model: loose, output: z.object({ title: z.string() }) }).run("Title?");
    const format = server.requests.at(-1)?.body.response_format?.json_schema as {
      strict?: boolean;
      schema?: Record<string, unknown>;
    };
    expect(format.strict).toBeUndefined();
    expect(format.schema).not.toHaveProperty("additionalProperties");
  });

  it.each([
    [
      "a record with free-form keys",
      z.object({ counts: z.record(z.string(), z.number()) }),
      ["properties", "counts"],
      "name every key",
    ],
    [
      "a tuple",
      z.object({ pair: z.tuple([z.string(), z.number()]) }),
      ["properties", "pair"],
      "tuples",
    ],
    [
      "a value of any type",
      z.object({ anything: z.unknown() }),
      ["properties", "anything"],
      "may be anything",
    ],
    ["a root that is not an object", z.array(z.string()), [], "must be a single object"],
  ])("refuses %s with StrictSchemaError, before any request", async (_, schema, path, says) => {
    const before = server.requests.length;
    const error = await agent({ model: strictModel(), output: schema as z.ZodType })
      .run("Hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrictSchemaError);
    expect(error).toBeInstanceOf(SchemaConversionError);
    expect((error as StrictSchemaError).path).toEqual(path);
    expect((error as Error).message).toContain("The output schema cannot be sent in strict mode");
    expect((error as Error).message).toContain(says);
    expect((error as Error).message).toContain("without `strict: true`");
    expect(server.requests.length).toBe(before);
  });

  it("names the tool whose parameters strict mode cannot take", async () => {
    const lookup = tool({
      name: "lookup",
      description: "Looks things up",
      parameters: z.object({ filters: z.record(z.string(), z.string()) }),
      execute: () => "none",
    });
    const error = await agent({ model: strictModel(), tools: [lookup] })
      .run("Hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrictSchemaError);
    expect((error as Error).message).toContain('Tool "lookup" parameters cannot be sent');
  });
});
