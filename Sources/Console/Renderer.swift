import Hummingbird
import HTTPTypes
import Mustache

/// Renders a page into the layout.
struct Renderer: Sendable {
    private let library: MustacheLibrary

    init() {
        var library = MustacheLibrary()
        let templates: [(String, String)] = [
            ("layout", Templates.layout), ("refusal", Templates.refusal), ("home", Templates.home),
            ("saml", Templates.saml), ("scim", Templates.scim), ("users", Templates.users), ("user", Templates.user),
            ("groups", Templates.groups), ("audit", Templates.audit),
        ]
        for (name, text) in templates {
            // the templates are constants of this file: a parse error is a bug caught by any test
            do { try library.register(text, named: name) } catch { preconditionFailure("template \(name): \(error)") }
        }
        self.library = library
    }

    /// `values` fill the page; the layout also gets the title, org, session (nav, sign-out form)
    /// and an error or notice line.
    func page(_ template: String, title: String, org: String, session: ConsoleSession?, values: [String: Any] = [:],
              error: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var context = values
        context["org"] = org
        if let session { context["csrf"] = session.csrf; context["admin"] = session.admin }
        let body = library.render(context, withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "org": org, "body": body]
        if let session { layout["session"] = ["csrf": session.csrf, "admin": session.admin] as [String: Any] }
        if let error { layout["error"] = error }
        if let notice { layout["notice"] = notice }
        return ConsoleResponse.html(library.render(layout, withTemplate: "layout") ?? "", status: status)
    }

    /// A plain refusal page (no navigation).
    func refusal(org: String, title: String, message: String, status: HTTPResponse.Status) -> Response {
        page("refusal", title: title, org: org, session: nil, values: ["message": message], status: status)
    }
}
